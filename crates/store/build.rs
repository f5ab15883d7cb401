// sqlx::migrate! embeds the migration folders at compile time; a new migration file must
// rebuild this crate (as sqlx's documentation advises).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
