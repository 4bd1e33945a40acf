//! Work sessions: time, invitation, the rolling agenda (nested, ordered) and action points.

use automerge::transaction::Transactable;
use autosurgeon::{Reconcile, Text};

use crate::{
    ModelError, Workspace,
    agenda::{self, Layout},
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

    /// The agenda of a session as it is laid out now, and the session's object.
    fn agenda_layout(&self, session_id: &str) -> Result<(automerge::ObjId, Layout), ModelError> {
        let session = self.session_obj(session_id)?;
        let layout = Layout::of(self.doc(), &session);
        Ok((session, layout))
    }

    /// The object of an agenda item (not removed).
    fn agenda_obj(&self, session_id: &str, item_id: &str) -> Result<automerge::ObjId, ModelError> {
        let (_, layout) = self.agenda_layout(session_id)?;
        let i = layout
            .find(item_id)
            .ok_or_else(|| agenda::unknown(item_id))?;
        Ok(layout.items[i].obj.clone())
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
        let (session, layout) = self.agenda_layout(session_id)?;
        let parent = match parent {
            None => String::new(),
            Some(p) => {
                layout.find(p).ok_or_else(|| agenda::unknown(p))?;
                p.to_owned()
            }
        };
        let order = agenda::key_after_last(&layout, &parent);
        self.change(ctx, "add agenda item", |ws| {
            let id = ws.next_id();
            // Every item's object is made in the session's own list and never moves.
            ws.append(
                &session,
                "agenda",
                &NewAgendaItem {
                    id: id.clone(),
                    title,
                    minutes: Text::with_value(""),
                    parent,
                    order,
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
        let obj = self.agenda_obj(session_id, item_id)?;
        self.change(ctx, "rename agenda item", |ws| {
            Ok(ws.doc_mut().put(&obj, "title", title)?)
        })
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

    /// Moves an item among its siblings, or in and out of nesting: only the item's `parent`
    /// and `order` change (its object, id, minutes and sub-points stay as they are).
    pub fn move_agenda_item(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        item_id: &str,
        how: Move,
    ) -> Result<(), ModelError> {
        let not_possible =
            |what: &str| ModelError::NotAllowed(format!("cannot move this agenda item {what}"));
        let (_, layout) = self.agenda_layout(session_id)?;
        let i = layout
            .find(item_id)
            .ok_or_else(|| agenda::unknown(item_id))?;
        let agenda::Place {
            parent,
            mut siblings,
            at,
        } = layout.place_of(i);
        let place = match how {
            Move::Up if at > 0 => {
                siblings.swap(at, at - 1);
                agenda::Place {
                    parent,
                    siblings,
                    at: at - 1,
                }
            }
            Move::Down if at + 1 < siblings.len() => {
                siblings.swap(at, at + 1);
                agenda::Place {
                    parent,
                    siblings,
                    at: at + 1,
                }
            }
            Move::Indent if at > 0 => {
                let above = layout.items[siblings[at - 1]].id.clone();
                let mut siblings = layout.children.get(&above).cloned().unwrap_or_default();
                siblings.push(i);
                let at = siblings.len() - 1;
                agenda::Place {
                    parent: above,
                    siblings,
                    at,
                }
            }
            Move::Outdent if !parent.is_empty() => {
                // After its parent, among the parent's siblings.
                let p = layout.find(&parent).expect("a laid-out parent exists");
                let mut outer = layout.place_of(p);
                outer.at += 1;
                outer.siblings.insert(outer.at, i);
                outer
            }
            Move::Up => return Err(not_possible("up: it is first")),
            Move::Down => return Err(not_possible("down: it is last")),
            Move::Indent => return Err(not_possible("in: there is no item above it")),
            Move::Outdent => return Err(not_possible("out: it is not a sub-point")),
        };
        self.change(ctx, "reorder agenda", |ws| {
            agenda::write_place(ws.doc_mut(), &layout, &place, i)
        })
    }

    /// Removes an item and its sub-points (marked removed, so a sub-point someone adds to it
    /// at the same time is shown at the top level rather than lost).
    pub fn remove_agenda_item(
        &mut self,
        ctx: Ctx<'_>,
        session_id: &str,
        item_id: &str,
    ) -> Result<(), ModelError> {
        let (_, layout) = self.agenda_layout(session_id)?;
        let i = layout
            .find(item_id)
            .ok_or_else(|| agenda::unknown(item_id))?;
        self.change(ctx, "remove agenda item", |ws| {
            for k in layout.subtree(i) {
                ws.doc_mut().put(&layout.items[k].obj, "removed", true)?;
            }
            Ok(())
        })
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

    /// Every readable session (one a peer wrote with wrong types is skipped, not fatal).
    pub fn sessions(&self) -> Result<Vec<WorkSession>, ModelError> {
        Ok(crate::tolerant::list(self.doc(), &automerge::ROOT, "sessions")?.0)
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

/// A new agenda item as written (its place is data on it; see `agenda.rs`).
#[derive(Reconcile)]
struct NewAgendaItem {
    id: String,
    title: String,
    minutes: Text,
    parent: String,
    order: String,
}
