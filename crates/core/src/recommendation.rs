//! Recommendations of the UN mechanisms (UPR, treaty bodies) and the State's responses.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The State's position on a UPR recommendation. Older UPR data say "accepted", which the
/// Human Rights Council now calls "supported".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Supported,
    SupportedInPart,
    Noted,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::Supported => "supported",
            Response::SupportedInPart => "supported_in_part",
            Response::Noted => "noted",
        }
    }
}

impl FromStr for Response {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().replace(['-', '_'], " ").as_str() {
            "supported" | "accepted" => Ok(Response::Supported),
            "supported in part" | "partially supported" | "partially accepted" => Ok(Response::SupportedInPart),
            "noted" | "rejected" | "not accepted" => Ok(Response::Noted),
            _ => Err(format!("'{s}' is not a response: expected Supported, Supported in part, Noted (or Accepted)")),
        }
    }
}

/// Text compared for identity: case, spacing and trailing punctuation ignored.
pub fn normalise_text(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").trim_end_matches(['.', ';', ' ']).to_lowercase()
}

/// A stable identifier: the mechanism and session with a hash (FNV-1a) of the normalised text,
/// so the same recommendation from two sources, or made by several States, gets one id.
pub fn stable_id(mechanism: &str, session: &str, text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in normalise_text(text).bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{mechanism}-{session}-{:012x}", h & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_and_identity() {
        assert_eq!("Accepted".parse::<Response>().unwrap(), Response::Supported);
        assert_eq!("supported in part".parse::<Response>().unwrap(), Response::SupportedInPart);
        assert!("maybe".parse::<Response>().is_err());
        assert_eq!(stable_id("UPR", "17", "Ratify the ICCPR."), stable_id("UPR", "17", "ratify  the ICCPR"));
        assert_ne!(stable_id("UPR", "17", "Ratify the ICCPR"), stable_id("UPR", "4", "Ratify the ICCPR"));
    }
}
