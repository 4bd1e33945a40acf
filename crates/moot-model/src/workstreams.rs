//! Workstreams: key questions, food for thought and first ideas, each commentable.

use crate::{
    ModelError, Workspace,
    schema::*,
    workspace::{Ctx, MAX_BODY, MAX_NAME, bounded, nonempty, require},
};

impl Workspace {
    pub fn workstreams(&self) -> Result<Vec<Workstream>, ModelError> {
        self.read("workstreams")
    }

    pub fn add_workstream(&mut self, ctx: Ctx<'_>, name: &str, scope: &str) -> Result<String, ModelError> {
        let name = nonempty("workstream name", name, MAX_NAME)?;
        let scope = bounded("scope", scope, MAX_BODY)?;
        self.edit(ctx, "add workstream", "workstreams", |streams: &mut Vec<Workstream>, ids| {
            let id = ids.next();
            streams.push(Workstream { id: id.clone(), name, scope, items: Vec::new() });
            Ok(id)
        })
    }

    pub fn add_workstream_item(&mut self, ctx: Ctx<'_>, workstream: &str, kind: ItemKind, text: &str) -> Result<String, ModelError> {
        let text = nonempty("item", text, MAX_BODY)?;
        self.edit(ctx, "add workstream item", "workstreams", |streams: &mut Vec<Workstream>, ids| {
            let ws = require(streams, workstream, "workstream", |w| &w.id)?;
            let id = ids.next();
            ws.items.push(WorkstreamItem {
                id: id.clone(),
                kind,
                text,
                author: ctx.person.to_owned(),
                created_at: ctx.at.to_owned(),
                comments: Vec::new(),
            });
            Ok(id)
        })
    }

    pub fn comment_workstream_item(&mut self, ctx: Ctx<'_>, workstream: &str, item: &str, body: &str) -> Result<String, ModelError> {
        let body = nonempty("comment", body, MAX_BODY)?;
        self.edit(ctx, "comment on workstream item", "workstreams", |streams: &mut Vec<Workstream>, ids| {
            let ws = require(streams, workstream, "workstream", |w| &w.id)?;
            let it = require(&mut ws.items, item, "workstream item", |i| &i.id)?;
            let id = ids.next();
            it.comments.push(Comment { id: id.clone(), author: ctx.person.to_owned(), created_at: ctx.at.to_owned(), body });
            Ok(id)
        })
    }
}
