//! Timestamps as RFC 3339 text in UTC, which sort correctly as strings on both backends.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time, e.g. `2026-11-29T11:20:03.123456Z`.
pub fn now_rfc3339() -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format_unix(d.as_secs() as i64, d.subsec_micros())
}

/// The time `secs` seconds from now (negative: in the past), e.g. for expiry dates.
pub fn rfc3339_after(secs: i64) -> String {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    format_unix(d.as_secs() as i64 + secs, d.subsec_micros())
}

fn format_unix(secs: i64, micros: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// An instant typed by a user (RFC 3339: `2026-12-01T09:00:00+08:00`, `…Z`, seconds and
/// fractions optional) in the stored form (UTC, microseconds, `Z`), so instants compare as text.
pub fn parse_instant(s: &str) -> Option<String> {
    instant_secs(s).map(|(secs, micros)| format_unix(secs, micros))
}

/// As [`parse_instant`], or a date alone (`2026-12-01`), read as its midnight UTC: what a query
/// parameter such as `as_of` or `updatedAfter` accepts.
pub fn parse_instant_or_date(s: &str) -> Option<String> {
    if s.len() == 10 { parse_instant(&format!("{s}T00:00:00Z")) } else { parse_instant(s) }
}

/// A stored instant as Beijing time (UTC+8), to the minute: "2026-12-01 09:00". What an
/// official in China reads; the stored form stays UTC.
pub fn beijing_time(stored: &str) -> String {
    match instant_secs(stored) {
        Some((secs, _)) => {
            let t = format_unix(secs + 8 * 3600, 0);
            format!("{} {}", &t[..10], &t[11..16])
        }
        None => stored.to_string(),
    }
}

fn instant_secs(s: &str) -> Option<(i64, u32)> {
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() < 17 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).filter(|t| t.bytes().all(|c| c.is_ascii_digit())).and_then(|t| t.parse::<i64>().ok());
    let (y, mo, d, h, mi) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?);
    let mut i = 16;
    let mut sec = 0;
    let mut micros = 0u32;
    if b.get(i) == Some(&b':') {
        sec = num(i + 1..i + 3)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            let start = i + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_digit() {
                end += 1;
            }
            if end == start {
                return None;
            }
            let frac = &s[start..end.min(start + 6)];
            micros = format!("{frac:0<6}").parse().ok()?;
            i = end;
        }
    }
    let offset = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b[i + 3] == b':' => {
            let m = num(i + 1..i + 3)? * 60 + num(i + 4..i + 6)?;
            if *sign == b'+' { m } else { -m }
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo as u32) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    let secs = days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + sec - offset * 60;
    Some((secs, micros))
}

fn days_in_month(y: i64, m: u32) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Howard Hinnant's civil-to-days algorithm.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_instants() {
        assert_eq!(super::format_unix(0, 0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(super::format_unix(1_709_210_096, 5), "2024-02-29T12:34:56.000005Z");
    }

    #[test]
    fn parses_typed_instants_to_the_stored_form() {
        use super::parse_instant as p;
        assert_eq!(p("2024-02-29T12:34:56.000005Z").as_deref(), Some("2024-02-29T12:34:56.000005Z"));
        assert_eq!(p("2026-12-01T09:00:00+08:00").as_deref(), Some("2026-12-01T01:00:00.000000Z"));
        assert_eq!(p("2026-12-01T00:30-01:00").as_deref(), Some("2026-12-01T01:30:00.000000Z"));
        assert_eq!(p("2026-01-01T00:00:00.5Z").as_deref(), Some("2026-01-01T00:00:00.500000Z"));
        assert_eq!(super::beijing_time("2026-12-31T17:30:00.000000Z"), "2027-01-01 01:30");
        for bad in
            ["2026-02-30T00:00:00Z", "2026-12-01", "2026-12-01T09:00:00", "tomorrow", "2026-12-01T25:00:00Z", "2026-12-01T09:00:00+0800"]
        {
            assert_eq!(p(bad), None, "{bad}");
        }
    }
}
