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

fn agenda_markdown(out: &mut String, items: &[AgendaItem], prefix: &str, depth: usize) {
    for (i, item) in items.iter().enumerate() {
        let n = number(prefix, i);
        let heading = "#".repeat((depth + 3).min(6));
        let _ = writeln!(out, "{heading} {n} {}\n", item.title.trim());
        let minutes = item.minutes.as_str().trim();
        if !minutes.is_empty() {
            let _ = writeln!(out, "{minutes}\n");
        }
        agenda_markdown(out, &item.children, &n, depth + 1);
    }
}

/// RFC 5545 TEXT escaping.
fn ics_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace("\r\n", "\\n")
        .replace('\n', "\\n")
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
        let mut out = format!("# {}\n\n", s.title.trim());
        let start = time::parse_instant("start", &s.start)?;
        let _ = writeln!(
            out,
            "{} UTC, {} minutes\n",
            time::format_instant(start)
                .replace('T', " ")
                .trim_end_matches('Z'),
            s.duration_minutes
        );
        if !s.invitation.as_str().trim().is_empty() {
            let _ = writeln!(out, "{}\n", s.invitation.as_str().trim());
        }
        out.push_str("## Agenda and minutes\n\n");
        agenda_markdown(&mut out, &s.agenda, "", 0);
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
                    owners.join(", "),
                    a.text.trim()
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
        let end = start + 60 * s.duration_minutes as i64;
        let name = self.state()?.name;
        let lines = [
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//moot//moot workspace//EN".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            "METHOD:PUBLISH".to_owned(),
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}@moot", s.id),
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
        let value = json_of(self.doc(), &ROOT, ObjType::Map)?;
        Ok(serde_json::to_string_pretty(&value).expect("JSON values always serialize"))
    }
}

fn json_of(doc: &impl ReadDoc, obj: &ObjId, typ: ObjType) -> Result<serde_json::Value, ModelError> {
    use serde_json::Value as J;
    let value_of = |v: Value<'_>, id: ObjId| -> Result<J, ModelError> {
        Ok(match v {
            Value::Object(t) => json_of(doc, &id, t)?,
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
        let long = format!("DESCRIPTION:{}", "é".repeat(60));
        let folded = fold(&long);
        assert!(folded.split("\r\n").all(|l| l.len() <= 75), "{folded:?}");
        assert_eq!(folded.replace("\r\n ", "").trim_end(), long);
    }
}
