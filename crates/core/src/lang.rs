//! The two languages RightStat writes in: English, the working language of the UN treaty
//! bodies, and Chinese, the State's.

/// A language of pages, reports and messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// `en` or `zh`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "zh" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// Picks the text in this language; English where the Chinese is missing.
    pub fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        if self == Lang::Zh && !zh.is_empty() { zh } else { en }
    }
}
