//! Which catalogue entries (indicators, measures) a text is about: a question of a list of
//! issues, a recommendation. An entry is relevant when most of its name, weighted by how rare
//! each word is in the catalogue, occurs in the text, its rarest word among them: "Recipients of the minimum living
//! guarantee (dibao)" for a question on "recipients of the minimum living allowance (dibao)",
//! but not "Persons covered by basic medical insurance" for a question on pension insurance,
//! whose rarest word ("medical") the question lacks.
//!
//! Words are compared by their first five letters ("returned" and "returning", "insured" and
//! "insurance"); Chinese by pairs of characters. Words every name has ("of", "the", "rate") do
//! not count.

use std::collections::{HashMap, HashSet};

/// The share of an entry's name, weighted, that must occur in the text.
pub const THRESHOLD: f64 = 0.65;

const STOP: &[&str] = &[
    "the",
    "of",
    "and",
    "in",
    "on",
    "for",
    "to",
    "a",
    "an",
    "by",
    "with",
    "from",
    "under",
    "per",
    "who",
    "its",
    "or",
    "at",
    "as",
    "rate",
    "total",
    "number",
    "average",
    "proportion",
    "prevalence",
    "share",
];

/// The words of a text as compared: lower-case stems of Latin words, pairs of Chinese characters.
pub fn terms(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let lower = text.to_lowercase();
    for word in lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let cjk: Vec<char> = word.chars().filter(|c| is_cjk(*c)).collect();
        if cjk.len() == word.chars().count() {
            for pair in cjk.windows(2) {
                out.insert(pair.iter().collect());
            }
            continue;
        }
        if word.len() < 3 && !word.chars().all(|c| c.is_ascii_digit()) || STOP.contains(&word) {
            continue;
        }
        out.insert(word.chars().take(5).collect());
    }
    out
}

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// A catalogue's names, with the weight of each word (rarer words weigh more).
#[derive(Debug, Clone)]
pub struct Matcher {
    entries: Vec<(String, HashSet<String>)>,
    weight: HashMap<String, f64>,
}

impl Matcher {
    /// `entries`: code and name (one language; match texts in the same language).
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Matcher {
        let entries: Vec<(String, HashSet<String>)> = entries.into_iter().map(|(c, n)| (c.to_string(), terms(n))).collect();
        let n = entries.len().max(1) as f64;
        let mut df: HashMap<String, usize> = HashMap::new();
        for (_, ts) in &entries {
            for t in ts {
                *df.entry(t.clone()).or_default() += 1;
            }
        }
        let weight = df.into_iter().map(|(t, d)| (t, (1.0 + n / d as f64).ln())).collect();
        Matcher { entries, weight }
    }

    /// The share (0–1) of the entry's weighted name that occurs in the text's terms; 0 when none
    /// of its rarest words does.
    pub fn score(&self, code: &str, text_terms: &HashSet<String>) -> f64 {
        let Some((_, name)) = self.entries.iter().find(|(c, _)| c == code) else { return 0.0 };
        let total: f64 = name.iter().map(|t| self.weight[t]).sum();
        if total == 0.0 {
            return 0.0;
        }
        // The entry's rarest word must be there: what sets it apart from its neighbours.
        let rarest = name.iter().map(|t| self.weight[t]).fold(0.0, f64::max);
        if !name.iter().any(|t| self.weight[t] == rarest && text_terms.contains(t)) {
            return 0.0;
        }
        name.iter().filter(|t| text_terms.contains(*t)).map(|t| self.weight[t]).sum::<f64>() / total
    }

    /// The entries the text is about, the best first: score at or above [`THRESHOLD`].
    pub fn relevant(&self, text: &str) -> Vec<(String, f64)> {
        let ts = terms(text);
        let mut v: Vec<(String, f64)> =
            self.entries.iter().map(|(c, _)| (c.clone(), self.score(c, &ts))).filter(|(_, s)| *s >= THRESHOLD).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue() -> Matcher {
        Matcher::new([
            ("DIBAO_RECIPIENTS", "Recipients of the minimum living guarantee (dibao)"),
            ("DIBAO_STANDARD", "Average minimum living guarantee standard"),
            ("PENSION", "Persons insured under the basic pension scheme for urban and rural residents"),
            ("MEDICAL_INSURED", "Persons covered by basic medical insurance"),
            ("MEDICAL_COVERAGE", "Basic medical insurance coverage rate"),
            ("RURAL_POOR", "Rural population below the national poverty line"),
            ("TAP_WATER", "Rural tap-water coverage"),
            ("RETURN", "Persons who returned to poverty"),
            ("INFANT", "Infant mortality rate"),
        ])
    }

    #[test]
    fn most_of_the_name_weighted_by_rarity() {
        let m = catalogue();
        let codes = |text: &str| m.relevant(text).into_iter().map(|(c, _)| c).collect::<Vec<_>>();
        assert_eq!(
            codes("Please provide the number of recipients of the minimum living allowance (dibao) and the level of the allowance."),
            ["DIBAO_RECIPIENTS"]
        );
        assert_eq!(codes("Please indicate the coverage of basic pension insurance for rural and urban residents."), ["PENSION"]);
        assert_eq!(codes("Provide data on the rural population living below the national poverty line."), ["RURAL_POOR"]);
        assert!(codes("Measures to prevent households from returning to poverty").contains(&"RETURN".to_string()));
        assert!(codes("Access to tap water in rural areas").contains(&"TAP_WATER".to_string()));
        // A right named is not an indicator asked for.
        assert!(codes("Please explain the measures taken to guarantee freedom of religion.").is_empty());
        assert!(codes("Please share good practices with other States.").is_empty());
        assert_eq!(terms("returned").into_iter().collect::<Vec<_>>(), ["retur"]);
        assert!(terms("农村贫困人口").contains("贫困"));
    }
}
