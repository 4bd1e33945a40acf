//! Work sessions: time, invitation, the rolling agenda (nested, ordered) and action points.

use autosurgeon::Text;

use crate::{
    ModelError, Workspace,
    schema::*,
    time,
    workspace::{Ctx, MAX_BODY, MAX_NAME, bounded, nonempty, require, unknown_id},
};

/// Which way an agenda item moves among its siblings, or in and out of nesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    /// Becomes the last sub-point of the item above it.
    Indent,
    /// Leaves its parent and follows it.
    Outdent,
}

fn find_item<'a>(items: &'a mut [AgendaItem], id: &str) -> Option<&'a mut AgendaItem> {
    for item in items {
        if item.id == id {
            return Some(item);
        }
        if let Some(found) = find_item(&mut item.children, id) {
            return Some(found);
        }
    }
    None
}

/// The sibling list holding `id` (the agenda itself or some item's children).
fn parent_list<'a>(items: &'a mut Vec<AgendaItem>, id: &str) -> Option<&'a mut Vec<AgendaItem>> {
    if items.iter().any(|i| i.id == id) {
        return Some(items);
    }
    items
        .iter_mut()
        .find_map(|i| parent_list(&mut i.children, id))
}

/// A moved item is written as a new object: its texts must be fresh values, not ones hydrated
/// at the old place (autosurgeon cannot re-insert those).
fn detached(item: AgendaItem) -> AgendaItem {
    AgendaItem {
        minutes: Text::with_value(item.minutes.as_str()),
        children: item.children.into_iter().map(detached).collect(),
        ..item
    }
}

fn detach_at(list: &mut [AgendaItem], i: usize) {
    let placeholder = AgendaItem {
        id: String::new(),
        title: String::new(),
        minutes: Text::with_value(""),
        children: Vec::new(),
    };
    let item = std::mem::replace(&mut list[i], placeholder);
    list[i] = detached(item);
}

fn move_item(agenda: &mut Vec<AgendaItem>, id: &str, how: Move) -> Result<(), ModelError> {
    let not_possible =
        |what: &str| ModelError::NotAllowed(format!("cannot move this agenda item {what}"));
    if how == Move::Outdent {
        // Find the parent whose children hold `id`, then place the item after that parent.
        fn outdent(list: &mut Vec<AgendaItem>, id: &str) -> Option<()> {
            let pos = list
                .iter()
                .position(|p| p.children.iter().any(|c| c.id == id));
            if let Some(p) = pos {
                let c = list[p].children.iter().position(|c| c.id == id)?;
                let item = list[p].children.remove(c);
                list.insert(p + 1, detached(item));
                return Some(());
            }
            list.iter_mut().find_map(|p| outdent(&mut p.children, id))
        }
        return outdent(agenda, id).ok_or_else(|| not_possible("out: it is not a sub-point"));
    }
    let list = parent_list(agenda, id).ok_or_else(|| unknown_id("agenda item", id))?;
    let i = list
        .iter()
        .position(|x| x.id == id)
        .expect("parent_list found it");
    match how {
        Move::Up if i > 0 => {
            list.swap(i, i - 1);
            detach_at(list, i);
            detach_at(list, i - 1);
        }
        Move::Down if i + 1 < list.len() => {
            list.swap(i, i + 1);
            detach_at(list, i);
            detach_at(list, i + 1);
        }
        Move::Indent if i > 0 => {
            let item = list.remove(i);
            list[i - 1].children.push(detached(item));
        }
        Move::Up => return Err(not_possible("up: it is first")),
        Move::Down => return Err(not_possible("down: it is last")),
        Move::Indent => return Err(not_possible("in: there is no item above it")),
        Move::Outdent => unreachable!(),
    }
    Ok(())
}

fn session<'a>(
    sessions: &'a mut [WorkSession],
    id: &str,
) -> Result<&'a mut WorkSession, ModelError> {
    require(sessions, id, "work session", |s| &s.id)
}

fn validate_owners(owners: &[String]) -> Result<Vec<String>, ModelError> {
    let owners: Vec<String> = owners
        .iter()
        .map(|o| o.trim().to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    if owners.is_empty() {
        return Err(ModelError::Empty { field: "owners" });
    }
    Ok(owners)
}

impl Workspace {
    pub fn add_session(
        &mut self,
        ctx: Ctx<'_>,
        title: &str,
        start: &str,
        duration_minutes: u64,
        invitation: &str,
    ) -> Result<String, ModelError> {
        let title = nonempty("session title", title, MAX_NAME)?;
        let start = time::format_instant(time::parse_instant("start", start)?);
        let invitation = bounded("invitation", invitation, MAX_BODY)?;
        if duration_minutes == 0 || duration_minutes > 24 * 60 {
            return Err(ModelError::NotAllowed(
                "a session lasts between 1 minute and 24 hours".into(),
            ));
        }
        self.change(ctx, "add work session", |ws| {
            let id = ws.next_id();
            let session = WorkSession {
                id: id.clone(),
                title,
                start,
                duration_minutes,
                invitation: Text::with_value(invitation),
                agenda: Vec::new(),
                action_points: Vec::new(),
            };
            ws.append(&automerge::ROOT, "sessions", &session)?;
            Ok(id)
        })
    }

    pub fn rename_session(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        title: &str,
    ) -> Result<(), ModelError> {
        let title = nonempty("session title", title, MAX_NAME)?;
        self.edit(
            ctx,
            "rename session",
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                session(sessions, session_id)?.title = title;
                Ok(())
            },
        )
    }

    pub fn reschedule(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        start: &str,
        duration_minutes: u64,
    ) -> Result<(), ModelError> {
        let start = time::format_instant(time::parse_instant("start", start)?);
        if duration_minutes == 0 || duration_minutes > 24 * 60 {
            return Err(ModelError::NotAllowed(
                "a session lasts between 1 minute and 24 hours".into(),
            ));
        }
        self.edit(
            ctx,
            "reschedule session",
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                let s = session(sessions, session_id)?;
                s.start = start;
                s.duration_minutes = duration_minutes;
                Ok(())
            },
        )
    }

    pub fn set_invitation(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        text: &str,
    ) -> Result<(), ModelError> {
        let text = bounded("invitation", text, MAX_BODY)?;
        let obj = self.session_obj(session_id)?;
        self.change(ctx, "edit invitation", |ws| {
            ws.update_text(&obj, "invitation", &text)
        })
    }

    fn session_obj(&self, session_id: &str) -> Result<automerge::ObjId, ModelError> {
        self.list_item(&automerge::ROOT, "sessions", session_id)?
            .ok_or_else(|| unknown_id("work session", session_id))
    }

    /// The object of an agenda item, searched through the nesting.
    fn agenda_obj(&self, session_id: &str, item_id: &str) -> Result<automerge::ObjId, ModelError> {
        use automerge::ReadDoc;
        fn search(
            ws: &Workspace,
            parent: &automerge::ObjId,
            prop: &str,
            id: &str,
        ) -> Result<Option<automerge::ObjId>, ModelError> {
            if let Some(found) = ws.list_item(parent, prop, id)? {
                return Ok(Some(found));
            }
            let Some((automerge::Value::Object(automerge::ObjType::List), list)) =
                ws.doc().get(parent, prop)?
            else {
                return Ok(None);
            };
            for i in 0..ws.doc().length(&list) {
                if let Some((automerge::Value::Object(automerge::ObjType::Map), child)) =
                    ws.doc().get(&list, i)?
                {
                    if let Some(found) = search(ws, &child, "children", id)? {
                        return Ok(Some(found));
                    }
                }
            }
            Ok(None)
        }
        let session = self.session_obj(session_id)?;
        search(self, &session, "agenda", item_id)?.ok_or_else(|| unknown_id("agenda item", item_id))
    }

    /// Adds an agenda item at the end of the agenda, or as the last sub-point of `parent`.
    pub fn add_agenda_item(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        parent: Option<&str>,
        title: &str,
    ) -> Result<String, ModelError> {
        let title = nonempty("agenda item", title, MAX_NAME * 5)?;
        let (obj, prop) = match parent {
            None => (self.session_obj(session_id)?, "agenda"),
            Some(p) => (self.agenda_obj(session_id, p)?, "children"),
        };
        self.change(ctx, "add agenda item", |ws| {
            let id = ws.next_id();
            ws.append(
                &obj,
                prop,
                &AgendaItem {
                    id: id.clone(),
                    title,
                    minutes: Text::with_value(""),
                    children: Vec::new(),
                },
            )?;
            Ok(id)
        })
    }

    pub fn rename_agenda_item(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        item_id: &str,
        title: &str,
    ) -> Result<(), ModelError> {
        let title = nonempty("agenda item", title, MAX_NAME * 5)?;
        self.edit(
            ctx,
            "rename agenda item",
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                let s = session(sessions, session_id)?;
                find_item(&mut s.agenda, item_id)
                    .ok_or_else(|| unknown_id("agenda item", item_id))?
                    .title = title;
                Ok(())
            },
        )
    }

    /// Replaces an item's minutes; only the changed characters are written, so concurrent
    /// edits elsewhere in the minutes merge.
    pub fn set_minutes(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        item_id: &str,
        minutes: &str,
    ) -> Result<(), ModelError> {
        let minutes = bounded("minutes", minutes, MAX_BODY * 5)?;
        let obj = self.agenda_obj(session_id, item_id)?;
        self.change(ctx, "write minutes", |ws| {
            ws.update_text(&obj, "minutes", &minutes)
        })
    }

    pub fn move_agenda_item(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        item_id: &str,
        how: Move,
    ) -> Result<(), ModelError> {
        self.edit(
            ctx,
            "reorder agenda",
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                move_item(&mut session(sessions, session_id)?.agenda, item_id, how)
            },
        )
    }

    pub fn remove_agenda_item(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        item_id: &str,
    ) -> Result<(), ModelError> {
        self.edit(
            ctx,
            "remove agenda item",
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                let s = session(sessions, session_id)?;
                let list = parent_list(&mut s.agenda, item_id)
                    .ok_or_else(|| unknown_id("agenda item", item_id))?;
                list.retain(|i| i.id != item_id);
                Ok(())
            },
        )
    }

    pub fn add_action_point(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        text: &str,
        owners: &[String],
        due: Option<&str>,
        agenda_item: Option<&str>,
    ) -> Result<String, ModelError> {
        let text = nonempty("action point", text, MAX_BODY)?;
        let owners = validate_owners(owners)?;
        if let Some(due) = due {
            time::parse_date("due date", due)?;
        }
        let obj = self.session_obj(session_id)?;
        if let Some(item) = agenda_item {
            self.agenda_obj(session_id, item)?;
        }
        self.change(ctx, "add action point", |ws| {
            let id = ws.next_id();
            ws.append(
                &obj,
                "action_points",
                &ActionPoint {
                    id: id.clone(),
                    text,
                    owners,
                    due: due.map(str::to_owned),
                    done: false,
                    agenda_item: agenda_item.map(str::to_owned),
                    created_by: ctx.person.to_owned(),
                    created_at: ctx.at.to_owned(),
                },
            )?;
            Ok(id)
        })
    }

    pub fn edit_action_point(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        action_id: &str,
        text: &str,
        owners: &[String],
        due: Option<&str>,
    ) -> Result<(), ModelError> {
        let text = nonempty("action point", text, MAX_BODY)?;
        let owners = validate_owners(owners)?;
        if let Some(due) = due {
            time::parse_date("due date", due)?;
        }
        self.edit(
            ctx,
            "edit action point",
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                let s = session(sessions, session_id)?;
                let a = require(&mut s.action_points, action_id, "action point", |a| &a.id)?;
                a.text = text;
                a.owners = owners;
                a.due = due.map(str::to_owned);
                Ok(())
            },
        )
    }

    pub fn set_action_done(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        action_id: &str,
        done: bool,
    ) -> Result<(), ModelError> {
        self.edit(
            ctx,
            if done {
                "action point done"
            } else {
                "action point reopened"
            },
            "sessions",
            |sessions: &mut Vec<WorkSession>, _| {
                let s = session(sessions, session_id)?;
                require(&mut s.action_points, action_id, "action point", |a| &a.id)?.done = done;
                Ok(())
            },
        )
    }

    pub fn sessions(&self) -> Result<Vec<WorkSession>, ModelError> {
        self.read("sessions")
    }
}

impl ActionPoint {
    /// Open and past its due date on `today` (`YYYY-MM-DD`).
    pub fn is_overdue(&self, today: &str) -> bool {
        !self.done && self.due.as_deref().is_some_and(|d| d < today)
    }

    /// Owned by this person, or by everyone.
    pub fn is_owned_by(&self, person: &str) -> bool {
        self.owners
            .iter()
            .any(|o| o == person || o.eq_ignore_ascii_case("all"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, children: Vec<AgendaItem>) -> AgendaItem {
        AgendaItem {
            id: id.into(),
            title: id.into(),
            minutes: Text::with_value(""),
            children,
        }
    }

    fn ids(items: &[AgendaItem]) -> String {
        items
            .iter()
            .map(|i| {
                if i.children.is_empty() {
                    i.id.clone()
                } else {
                    format!("{}({})", i.id, ids(&i.children))
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn moves_reorder_and_nest() {
        let mut a = vec![item("a", vec![]), item("b", vec![]), item("c", vec![])];
        move_item(&mut a, "c", Move::Up).unwrap();
        assert_eq!(ids(&a), "a,c,b");
        move_item(&mut a, "c", Move::Indent).unwrap();
        assert_eq!(ids(&a), "a(c),b");
        move_item(&mut a, "b", Move::Indent).unwrap();
        assert_eq!(ids(&a), "a(c,b)");
        move_item(&mut a, "b", Move::Up).unwrap();
        assert_eq!(ids(&a), "a(b,c)");
        move_item(&mut a, "b", Move::Outdent).unwrap();
        assert_eq!(ids(&a), "a(c),b");
        assert!(move_item(&mut a, "a", Move::Up).is_err());
        assert!(move_item(&mut a, "b", Move::Down).is_err());
        assert!(move_item(&mut a, "a", Move::Indent).is_err());
        assert!(move_item(&mut a, "a", Move::Outdent).is_err());
        assert!(matches!(
            move_item(&mut a, "zz", Move::Up),
            Err(ModelError::Unknown { .. })
        ));
    }
}
