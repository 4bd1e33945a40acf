//! Exports, all pure: minutes as Markdown, a session as an iCalendar event, the workspace as
//! JSON, and the automerge binary (`Workspace::save`).

use std::fmt::Write as _;

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};

use crate::{ModelError, Workspace, schema::*, time, workspace::unknown_id};

fn number(prefix: &str, i: usize) -> String {
    if prefix.is_empty() {
        format!("{}", i + 1)
    } else {
        format!("{prefix}.{}", i + 1)
    }
}

/// Decisions on agenda items, as the lines the minutes show under each item.
type Resolutions = std::collections::BTreeMap<String, Vec<String>>;

fn agenda_markdown(
    out: &mut String,
    items: &[AgendaItem],
    prefix: &str,
    depth: usize,
    resolutions: &Resolutions,
) {
    for (i, item) in items.iter().enumerate() {
        let n = number(prefix, i);
        let heading = "#".repeat((depth + 3).min(6));
        let _ = writeln!(out, "{heading} {n} {}\n", md_line(&item.title));
        let minutes = item.minutes.as_str().trim();
        if !minutes.is_empty() {
            let _ = writeln!(out, "{}\n", md_text(minutes));
        }
        for line in resolutions.get(&item.id).into_iter().flatten() {
            let _ = writeln!(out, "{line}\n");
        }
        agenda_markdown(out, &item.children, &n, depth + 1, resolutions);
    }
}

/// RFC 5545 TEXT escaping. Line breaks of every kind become `\n`; other control characters
/// (which RFC 5545 does not allow in TEXT) are dropped, so no peer text can start a line.
fn ics_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' | '\u{2028}' | '\u{2029}' | '\u{85}' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Markdown from peer text, for a wiki or a site that may render HTML: `<` and `&` are
/// written as entities, so no peer's text becomes a tag.
fn md_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A heading's text: one line (a line break would end the heading and start a block).
fn md_line(s: &str) -> String {
    md_text(&s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Folds a content line at 75 octets, never inside a UTF-8 character.
fn fold(line: &str) -> String {
    let mut out = String::new();
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

/// A decision in the minutes: the question, its outcome and count, and the words written.
fn resolution(d: &crate::DecisionView) -> String {
    let mut line = format!(
        "**Resolution:** {} — {}. {}",
        md_line(&d.rules.question),
        md_line(&d.outcome_label()),
        md_line(&d.summary())
    );
    if let Some(o) = &d.outcome {
        let _ = write!(line, "\n\n> {}", md_line(&o.text));
    }
    line
}

impl Workspace {
    fn session(&self, id: &str) -> Result<WorkSession, ModelError> {
        self.sessions()?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| unknown_id("work session", id))
    }

    /// A session's minutes as Markdown: title, time, numbered agenda with minutes, action points.
    pub fn minutes_markdown(&self, session_id: &str) -> Result<String, ModelError> {
        let s = self.session(session_id)?;
        let mut out = format!("# {}\n\n", md_line(&s.title));
        let start = time::parse_instant("start", &s.start)?;
        let _ = writeln!(
            out,
            "{} UTC, {} minutes\n",
            time::format_instant(start)
                .replace('T', " ")
                .trim_end_matches('Z'),
            s.duration_minutes.min(24 * 60)
        );
        if !s.invitation.as_str().trim().is_empty() {
            let _ = writeln!(out, "{}\n", md_text(s.invitation.as_str().trim()));
        }
        out.push_str("## Agenda and minutes\n\n");
        let mut resolutions = Resolutions::new();
        for d in self.decisions() {
            if let Some(crate::decisions::Subject::AgendaItem { session, item }) = &d.rules.subject
                && session == &s.id
            {
                resolutions
                    .entry(item.clone())
                    .or_default()
                    .push(resolution(&d));
            }
        }
        agenda_markdown(&mut out, &s.agenda, "", 0, &resolutions);
        if !s.action_points.is_empty() {
            out.push_str("## Action points\n\n");
            for a in &s.action_points {
                let owners: Vec<String> = a
                    .owners
                    .iter()
                    .map(|o| {
                        if o == "all" {
                            "All".into()
                        } else {
                            self.person_name(o)
                        }
                    })
                    .collect();
                let due = a
                    .due
                    .as_deref()
                    .map(|d| format!(" (due {d})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "- [{}] **{}**: {}{due}",
                    if a.done { "x" } else { " " },
                    md_line(&owners.join(", ")),
                    md_line(&a.text)
                );
            }
        }
        Ok(out)
    }

    /// The session as a one-event iCalendar file (RFC 5545, times in UTC). `dtstamp` is the
    /// export time (RFC 3339), supplied by the caller.
    pub fn session_ics(&self, session_id: &str, dtstamp: &str) -> Result<String, ModelError> {
        let s = self.session(session_id)?;
        let start = time::parse_instant("start", &s.start)?;
        let stamp = time::parse_instant("export time", dtstamp)?;
        // A peer may write any duration: at most a day, as the operations allow.
        let end = start + 60 * s.duration_minutes.min(24 * 60) as i64;
        let name = self.state()?.name;
        let lines = [
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//moot//moot workspace//EN".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            "METHOD:PUBLISH".to_owned(),
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@moot", ics_text(&s.id)),
            format!("DTSTAMP:{}", time::format_ics(stamp)),
            format!("DTSTART:{}", time::format_ics(start)),
            format!("DTEND:{}", time::format_ics(end)),
            format!("SUMMARY:{}", ics_text(&format!("{} — {}", name, s.title))),
            format!("DESCRIPTION:{}", ics_text(s.invitation.as_str())),
            "END:VEVENT".to_owned(),
            "END:VCALENDAR".to_owned(),
        ];
        Ok(lines.iter().map(|l| fold(l)).collect())
    }

    /// The whole document as JSON, including fields this version does not know.
    pub fn to_json(&self) -> Result<String, ModelError> {
        let value = json_of(self.doc(), &ROOT, ObjType::Map, 0)?;
        Ok(serde_json::to_string_pretty(&value).expect("JSON values always serialize"))
    }
}

/// Objects nested deeper than this are written as `null` (a peer can nest without limit; the
/// schema nests four levels).
const MAX_JSON_DEPTH: usize = 48;

fn json_of(
    doc: &impl ReadDoc,
    obj: &ObjId,
    typ: ObjType,
    depth: usize,
) -> Result<serde_json::Value, ModelError> {
    use serde_json::Value as J;
    if depth >= MAX_JSON_DEPTH {
        return Ok(J::Null);
    }
    let value_of = |v: Value<'_>, id: ObjId| -> Result<J, ModelError> {
        Ok(match v {
            Value::Object(t) => json_of(doc, &id, t, depth + 1)?,
            Value::Scalar(s) => match s.as_ref() {
                ScalarValue::Str(s) => J::String(s.to_string()),
                ScalarValue::Int(i) => J::from(*i),
                ScalarValue::Uint(u) => J::from(*u),
                ScalarValue::F64(f) => J::from(*f),
                ScalarValue::Boolean(b) => J::Bool(*b),
                ScalarValue::Null => J::Null,
                ScalarValue::Timestamp(t) => J::from(*t),
                ScalarValue::Counter(c) => J::from(i64::from(c)),
                ScalarValue::Bytes(b) => J::Array(b.iter().map(|x| J::from(*x)).collect()),
                other => J::String(other.to_string()),
            },
        })
    };
    Ok(match typ {
        ObjType::Map | ObjType::Table => {
            let mut map = serde_json::Map::new();
            for item in doc.map_range(obj, ..) {
                map.insert(
                    item.key.to_string(),
                    value_of(item.value.clone().into_value(), item.id())?,
                );
            }
            J::Object(map)
        }
        ObjType::List => {
            let mut list = Vec::new();
            for item in doc.list_range(obj, ..) {
                list.push(value_of(item.value.clone().into_value(), item.id())?);
            }
            J::Array(list)
        }
        ObjType::Text => J::String(doc.text(obj)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ics_lines_are_escaped_and_folded() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        // No peer text can start a line of its own: every break is escaped, controls dropped.
        assert_eq!(ics_text("x\r\nATTACH:y"), "x\\nATTACH:y");
        assert_eq!(ics_text("x\rATTACH:y"), "x\\nATTACH:y");
        assert_eq!(ics_text("x\u{2028}y\u{0}\u{1b}z"), "x\\nyz");
        assert_eq!(md_line("a\n# b <script>"), "a # b &lt;script&gt;");
        assert_eq!(
            md_text("<img src=x onerror=alert(1)> & co"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; co"
        );
        let long = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = fold(&long);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75), "{folded:?}");
        assert_eq!(folded.replace("\r\n ", "").trim_end(), long);
    }
}
