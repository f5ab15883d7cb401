//! RightStat's one design system.
//!
//! Every page the product shows — the public portal (live and static), the working pages, the
//! sign-in page, error pages and the HTML report drafts — uses [`STYLESHEET`], served at
//! `/rightstat.css` and written as `rightstat.css` into a static copy. Its components:
//!
//! - the page frame: `header.site` (site name, the role's navigation, the signed-in user and
//!   sign-out, the language switch), `main` (`.narrow` for forms such as sign-in, `.doc` for a
//!   report draft) and `footer`;
//! - buttons (`button` is the primary action, `.secondary` the others, `.danger`);
//! - forms (`.field`, `.inline-form`, `.filters`), with a finding beside its field
//!   (`.field-finding.error|.warning`, `input[aria-invalid]`);
//! - tables with numbers aligned right (`td.num`), scrolling inside themselves on a phone;
//! - `.notice.good|.bad|.warn`, status `.badge`s, `.empty` states, `.tiles` of counts.
//!
//! Pages built without templates (sign-in, errors) take their frame from [`page`], so they look
//! like the rest. The stylesheet is a file, not inline styles: the server's content security
//! policy forbids inline styles.

/// The one stylesheet.
pub const STYLESHEET: &str = include_str!("rightstat.css");

/// Its file name, at the site's root (`/rightstat.css`, or beside `index.html` in a static copy).
pub const STYLESHEET_FILE: &str = "rightstat.css";

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A page of its own (sign-in, an error): the frame every page has, around `body` (HTML, already
/// escaped by the caller). `lang` is `en` or `zh`; `title` is plain text.
pub fn page(lang: &str, title: &str, main_class: &str, body: &str) -> String {
    let zh = lang == "zh";
    let html_lang = if zh { "zh-CN" } else { "en" };
    let (site, skip, nav) =
        if zh { ("人权统计 RightStat", "跳到正文", "主导航") } else { ("RightStat", "Skip to content", "Main") };
    let class = if main_class.is_empty() { String::new() } else { format!(" class=\"{}\"", escape(main_class)) };
    format!(
        concat!(
            "<!doctype html>\n<html lang=\"{html_lang}\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<title>{title} — {site}</title>\n<link rel=\"stylesheet\" href=\"/{css}\">\n</head>\n<body>\n",
            "<a class=\"skip\" href=\"#main\">{skip}</a>\n",
            "<header class=\"site\"><nav aria-label=\"{nav}\"><a class=\"brand\" href=\"/\">{site}</a></nav></header>\n",
            "<main id=\"main\"{class}>\n{body}\n</main>\n</body>\n</html>\n"
        ),
        html_lang = html_lang,
        title = escape(title),
        site = site,
        css = STYLESHEET_FILE,
        skip = skip,
        nav = nav,
        class = class,
        body = body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_links_the_one_stylesheet_and_escapes_its_title() {
        let p = page("zh", "登录 <x>", "narrow", "<p>x</p>");
        assert!(p.contains("<html lang=\"zh-CN\">"));
        assert!(p.contains("href=\"/rightstat.css\""));
        assert!(p.contains("登录 &lt;x&gt;"));
        assert!(p.contains("<main id=\"main\" class=\"narrow\">"));
        assert!(!p.contains("<style"), "the content security policy forbids inline styles");
    }

    /// WCAG 2 relative luminance of `#rrggbb`.
    fn luminance(hex: &str) -> f64 {
        let c = |i: usize| {
            let v = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour")) / 255.0;
            if v <= 0.03928 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// The stylesheet's text colours on the backgrounds they are used on meet WCAG AA for body
    /// text (4.5:1): page text, links, the header bar, notices and badges.
    #[test]
    fn text_colours_have_sufficient_contrast() {
        let var = |name: &str| -> String {
            let at = STYLESHEET.find(&format!("--{name}: ")).unwrap_or_else(|| panic!("--{name} defined")) + name.len() + 4;
            STYLESHEET[at..at + 7].to_string()
        };
        let missing = "#8a1c1c";
        assert!(STYLESHEET.contains(missing), "the colour of missing breakdowns is the one checked here");
        let pairs = [
            ("ink", "bg"),
            ("muted", "bg"),
            ("accent", "bg"),
            ("ink", "soft"),
            ("muted", "soft"),
            ("accent", "soft"),
            ("accent-ink", "accent"),
            ("good", "good-bg"),
            ("bad", "bad-bg"),
            ("warn", "warn-bg"),
            ("bad", "bg"),
            ("warn", "bg"),
        ];
        for (fg, back) in pairs {
            let r = contrast(&var(fg), &var(back));
            assert!(r >= 4.5, "--{fg} on --{back}: {r:.2}:1");
        }
        assert!(contrast(missing, &var("bg")) >= 4.5);
    }

    #[test]
    fn the_stylesheet_has_the_components_the_pages_use() {
        for selector in
            ["header.site", "button.secondary", ".field-finding", "td.num", ".badge", ".empty", "main.doc", "@media (max-width: 40rem)"]
        {
            assert!(STYLESHEET.contains(selector), "{selector} missing from the stylesheet");
        }
        // Balanced braces: a stray one silently drops every rule after it.
        assert_eq!(STYLESHEET.matches('{').count(), STYLESHEET.matches('}').count());
    }
}
