//! Workstreams: key questions, food for thought and first ideas, each commentable.

use crate::{
    ModelError, Workspace,
    schema::*,
    workspace::{Ctx, MAX_BODY, MAX_NAME, bounded, nonempty, unknown_id},
};

impl Workspace {
    pub fn workstreams(&self) -> Result<Vec<Workstream>, ModelError> {
        self.read("workstreams")
    }

    pub fn add_workstream(
        &mut self,
        ctx: Ctx<'_>,
        name: &str,
        scope: &str,
    ) -> Result<String, ModelError> {
        let name = nonempty("workstream name", name, MAX_NAME)?;
        let scope = bounded("scope", scope, MAX_BODY)?;
        self.edit(
            ctx,
            "add workstream",
            "workstreams",
            |streams: &mut Vec<Workstream>, ids| {
                let id = ids.next();
                streams.push(Workstream {
                    id: id.clone(),
                    name,
                    scope,
                    items: Vec::new(),
                });
                Ok(id)
            },
        )
    }

    pub fn add_workstream_item(
        &mut self,
        ctx: Ctx<'_>,
        workstream: &str,
        kind: ItemKind,
        text: &str,
    ) -> Result<String, ModelError> {
        let text = nonempty("item", text, MAX_BODY)?;
        let obj = self
            .list_item(&automerge::ROOT, "workstreams", workstream)?
            .ok_or_else(|| unknown_id("workstream", workstream))?;
        self.change(ctx, "add workstream item", |ws| {
            let id = ws.next_id();
            let item = WorkstreamItem {
                id: id.clone(),
                kind,
                text,
                author: ctx.person.to_owned(),
                created_at: ctx.at.to_owned(),
                comments: Vec::new(),
            };
            ws.append(&obj, "items", &item)?;
            Ok(id)
        })
    }

    pub fn comment_workstream_item(
        &mut self,
        ctx: Ctx<'_>,
        workstream: &str,
        item: &str,
        body: &str,
    ) -> Result<String, ModelError> {
        let body = nonempty("comment", body, MAX_BODY)?;
        let stream = self
            .list_item(&automerge::ROOT, "workstreams", workstream)?
            .ok_or_else(|| unknown_id("workstream", workstream))?;
        let obj = self
            .list_item(&stream, "items", item)?
            .ok_or_else(|| unknown_id("workstream item", item))?;
        self.change(ctx, "comment on workstream item", |ws| {
            ws.append_comment(&obj, ctx, body)
        })
    }
}
