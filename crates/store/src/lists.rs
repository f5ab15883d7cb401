//! Multi-valued columns (themes, States, periods, indicator codes) are stored as one text with
//! `|` between the values; these two functions are the only readers and writers of that form.

pub(crate) fn split(s: &str) -> Vec<String> {
    s.split('|').filter(|x| !x.is_empty()).map(String::from).collect()
}

pub(crate) fn join(v: &[String]) -> String {
    v.join("|")
}
