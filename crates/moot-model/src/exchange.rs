//! Workspace files: the automerge binary as a `.automerge` file, merged (never replacing) into
//! a copy of the same workspace.

use std::collections::BTreeSet;

use automerge::{AutoCommit, ChangeHash};

use crate::{ModelError, Workspace};

/// What an import brought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub new_changes: usize,
    pub new_comments: usize,
    pub new_proposals: usize,
}

/// The changes with no dependencies: a workspace's first change identifies it.
fn roots(doc: &mut AutoCommit) -> BTreeSet<ChangeHash> {
    doc.get_changes(&[])
        .iter()
        .filter(|c| c.deps().is_empty())
        .map(|c| c.hash())
        .collect()
}

fn counts(ws: &Workspace) -> (usize, usize) {
    let Ok(state) = ws.state() else { return (0, 0) };
    let comments = state
        .documents
        .iter()
        .flat_map(|d| &d.threads)
        .map(|t| t.comments.len())
        .sum();
    (comments, state.proposals.len())
}

impl Workspace {
    /// Merges a `.automerge` file of this same workspace. A corrupt file, or one of another
    /// workspace, is refused with the document unchanged.
    pub fn import(&mut self, bytes: &[u8]) -> Result<ImportReport, ModelError> {
        let mut other = AutoCommit::load(bytes).map_err(|e| {
            ModelError::Corrupt(format!("this file is not a complete moot workspace ({e})"))
        })?;
        let ours = roots(self.doc_mut());
        if ours.is_disjoint(&roots(&mut other)) {
            return Err(ModelError::NotAllowed(
                "this file belongs to another workspace: nothing was imported".into(),
            ));
        }
        // The file must itself be a readable workspace.
        let other = Workspace::from_doc(other, 0)?;
        let before_changes = self.doc_mut().get_changes(&[]).len();
        let (comments, proposals) = counts(self);
        let mut other = other;
        self.merge(&mut other)?;
        let (comments_after, proposals_after) = counts(self);
        Ok(ImportReport {
            new_changes: self.doc_mut().get_changes(&[]).len() - before_changes,
            new_comments: comments_after.saturating_sub(comments),
            new_proposals: proposals_after.saturating_sub(proposals),
        })
    }
}
