//! Member proposals and their derived status.
//!
//! Status is never stored. Every peer computes it from the same recorded acts: proposals are
//! taken in a fixed order (creation time, then id); a ratification counts the distinct
//! endorsers and objectors who were members *at that point* — the roster plus individuals
//! approved earlier in that order — so the result needs no fixed point and cannot cycle.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    ModelError, Workspace,
    schema::*,
    workspace::{Ctx, MAX_BODY, MAX_NAME, bounded, nonempty, require, unknown_id},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Withdrawn => "withdrawn",
        }
    }
}

/// A proposal with what follows from its acts.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposalView {
    pub proposal: Proposal,
    pub status: Status,
    /// Endorsements that count (distinct members other than the candidate).
    pub endorsements: usize,
    pub objections: usize,
    /// Endorsements the tier needs (0 for self-certification).
    pub needed: u64,
    /// Who endorsed and who objected, as counted (members at that point, not the candidate).
    pub endorsers: Vec<String>,
    pub objectors: Vec<String>,
    /// Acts in someone's name that their key did not write (private workspaces): shown as
    /// such, never counted.
    pub forged: Vec<crate::schema::Act>,
}

/// The membership outcome of a whole workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub proposals: Vec<ProposalView>,
    /// Person ids who are members: the roster and approved individuals.
    pub members: BTreeSet<String>,
}

fn order(proposals: &mut [Proposal]) {
    proposals.sort_by(|a, b| {
        (a.created_at.as_str(), a.id.as_str()).cmp(&(b.created_at.as_str(), b.id.as_str()))
    });
}

/// Derives every proposal's status from the document's tiers, roster and acts.
pub fn derive(doc: &WorkspaceDoc) -> Membership {
    derive_from(&doc.roster, &doc.tiers, doc.proposals.clone())
}

fn derive_from(roster: &[String], tiers: &[Tier], mut proposals: Vec<Proposal>) -> Membership {
    let tiers: BTreeMap<&str, &Tier> = tiers.iter().map(|t| (t.id.as_str(), t)).collect();
    let mut members: BTreeSet<String> = roster.iter().cloned().collect();
    order(&mut proposals);
    let mut views = Vec::with_capacity(proposals.len());
    for proposal in proposals {
        let candidate = proposal.candidate.person.as_deref();
        let approval = tiers.get(proposal.tier.as_str()).map(|t| t.approval);
        // The acts in their order (the list's, the same on every peer), until the proposal is
        // approved: an approval stands (audit M8), so an objection or a withdrawal after it —
        // made concurrently, or by a client that did not refuse it — un-approves nobody, and
        // nothing the member did since is undone with it.
        let (mut endorsers, mut objectors) = (BTreeSet::<&str>::new(), BTreeSet::<&str>::new());
        let (mut withdrawn, mut attested) = (false, false);
        let mut status = status_of(approval, false, false, 0, 0).0;
        for act in &proposal.acts {
            let counts = members.contains(&act.by) && Some(act.by.as_str()) != candidate;
            match act.kind {
                ActKind::Endorse if counts => {
                    endorsers.insert(act.by.as_str());
                }
                ActKind::Object if counts => {
                    objectors.insert(act.by.as_str());
                }
                ActKind::Withdraw => {
                    withdrawn |= act.by == proposal.proposer || Some(act.by.as_str()) == candidate
                }
                ActKind::SelfCertify => attested |= is_applicant(&proposal, &act.by),
                _ => {}
            }
            status = status_of(
                approval,
                withdrawn,
                attested,
                endorsers.len(),
                objectors.len(),
            )
            .0;
            if status == Status::Approved {
                break;
            }
        }
        let (e, o) = (endorsers.len(), objectors.len());
        let needed = status_of(approval, withdrawn, attested, e, o).1;
        if status == Status::Approved
            && proposal.candidate.kind == CandidateKind::Individual
            && let Some(person) = &proposal.candidate.person
        {
            members.insert(person.clone());
        }
        let (endorsers, objectors) = (
            endorsers.iter().map(|p| p.to_string()).collect(),
            objectors.iter().map(|p| p.to_string()).collect(),
        );
        views.push(ProposalView {
            proposal,
            status,
            endorsements: e,
            objections: o,
            needed,
            endorsers,
            objectors,
            forged: Vec::new(),
        });
    }
    Membership {
        proposals: views,
        members,
    }
}

/// A proposal's status under its tier's rule (`None`: the tier was deleted, nobody can
/// approve into it), from its acts so far, and the endorsements it needs.
fn status_of(
    approval: Option<Approval>,
    withdrawn: bool,
    attested: bool,
    e: usize,
    o: usize,
) -> (Status, u64) {
    match approval {
        _ if withdrawn => (Status::Withdrawn, 0),
        None => (Status::Pending, 0),
        Some(Approval::SelfCertification) if attested => (Status::Approved, 0),
        Some(Approval::SelfCertification) => (Status::Pending, 0),
        Some(Approval::Ratification {
            endorsements: n,
            objections,
        }) => {
            // Saturating, never truncating: 2^32 must not become 0 on wasm32 (every peer
            // computes the same status whatever its word size).
            let n_usize = usize::try_from(n).unwrap_or(usize::MAX);
            let status = match objections {
                ObjectionRule::Veto if o > 0 => Status::Rejected,
                ObjectionRule::Subtract if n > 0 && o >= n_usize && o > e => Status::Rejected,
                ObjectionRule::Subtract if e >= o.saturating_add(n_usize) => Status::Approved,
                ObjectionRule::Veto | ObjectionRule::Record if e >= n_usize => Status::Approved,
                _ => Status::Pending,
            };
            (status, n)
        }
    }
}

/// The applicant: the candidate themselves, or for an organisation (or a candidate who is not
/// a person here) the proposer speaking for them.
fn is_applicant(proposal: &Proposal, person: &str) -> bool {
    match &proposal.candidate.person {
        Some(candidate) => candidate == person,
        None => proposal.proposer == person,
    }
}

impl Workspace {
    /// Reads only what status depends on (roster, tiers, proposals), not the whole document.
    pub fn membership(&self) -> Result<Membership, ModelError> {
        membership_in(self.doc())
    }

    pub fn proposal(&self, id: &str) -> Result<ProposalView, ModelError> {
        self.membership()?
            .proposals
            .into_iter()
            .find(|p| p.proposal.id == id)
            .ok_or_else(|| unknown_id("proposal", id))
    }

    pub fn propose(
        &mut self,
        ctx: Ctx<'_>,
        candidate: Candidate,
        tier: &str,
        statement: &str,
    ) -> Result<String, ModelError> {
        let name = nonempty("candidate name", &candidate.name, MAX_NAME)?;
        let statement = bounded("statement", statement, MAX_BODY)?;
        match (candidate.kind, candidate.size) {
            (CandidateKind::Organisation, None | Some(0)) => {
                return Err(ModelError::NotAllowed(
                    "an organisation needs its size (number of people)".into(),
                ));
            }
            (CandidateKind::Individual, Some(_)) => {
                return Err(ModelError::NotAllowed(
                    "only organisations have a size".into(),
                ));
            }
            _ => {}
        }
        let tiers = self.tiers()?;
        if !tiers.iter().any(|t| t.id == tier) {
            return Err(unknown_id("tier", tier));
        }
        if let Some(person) = &candidate.person {
            let people: BTreeMap<String, Person> = self.read("people")?;
            if !people.contains_key(person) {
                return Err(unknown_id("person", person));
            }
        }
        let candidate = Candidate { name, ..candidate };
        self.change(ctx, "propose member", |ws| {
            let id = ws.next_id();
            let proposal = Proposal {
                id: id.clone(),
                candidate,
                tier: tier.to_owned(),
                proposer: ctx.person.to_owned(),
                statement,
                created_at: ctx.at.to_owned(),
                acts: Vec::new(),
            };
            ws.append(&automerge::ROOT, "proposals", &proposal)?;
            Ok(id)
        })
    }

    pub fn endorse(
        &mut self,
        ctx: Ctx<'_>,
        proposal: &str,
        comment: &str,
    ) -> Result<String, ModelError> {
        self.ratify_act(ctx, proposal, ActKind::Endorse, comment)
    }

    pub fn object(
        &mut self,
        ctx: Ctx<'_>,
        proposal: &str,
        comment: &str,
    ) -> Result<String, ModelError> {
        if comment.trim().is_empty() {
            return Err(ModelError::Empty {
                field: "reason for the objection",
            });
        }
        self.ratify_act(ctx, proposal, ActKind::Object, comment)
    }

    fn ratify_act(
        &mut self,
        ctx: Ctx<'_>,
        proposal: &str,
        kind: ActKind,
        comment: &str,
    ) -> Result<String, ModelError> {
        let comment = bounded("comment", comment, MAX_BODY)?;
        let verb = if kind == ActKind::Endorse {
            "endorse"
        } else {
            "object to"
        };
        let membership = self.membership()?;
        let view = open(&membership, proposal)?;
        if view.status == Status::Approved {
            return Err(approved(verb));
        }
        if !membership.members.contains(ctx.person) {
            return Err(ModelError::NotAMember {
                person: self.person_name(ctx.person),
                act: verb,
            });
        }
        // Only acts of people who were members at this proposal's place in the order count
        // (audit M8): a later member's act would be shown and never count.
        if !self.members_at(&membership, proposal)?.contains(ctx.person) {
            return Err(ModelError::NotAllowed(format!(
                "only people who were members before this proposal was made can {verb} it (yours would not count)"
            )));
        }
        if view.proposal.candidate.person.as_deref() == Some(ctx.person) {
            return Err(ModelError::NotAllowed(format!(
                "a candidate cannot {verb} their own proposal"
            )));
        }
        if view
            .proposal
            .acts
            .iter()
            .any(|a| a.by == ctx.person && matches!(a.kind, ActKind::Endorse | ActKind::Object))
        {
            let act = if view
                .proposal
                .acts
                .iter()
                .any(|a| a.by == ctx.person && a.kind == ActKind::Endorse)
            {
                "endorsed"
            } else {
                "objected to"
            };
            return Err(ModelError::AlreadyActed {
                person: self.person_name(ctx.person),
                act,
            });
        }
        self.record(ctx, proposal, kind, comment)
    }

    /// The applicant's attestation, where the tier's policy is self-certification.
    pub fn self_certify(
        &mut self,
        ctx: Ctx<'_>,
        proposal: &str,
        attestation: &str,
    ) -> Result<String, ModelError> {
        let attestation = nonempty("attestation", attestation, MAX_BODY)?;
        let view = self.open_proposal(proposal)?;
        let tiers = self.tiers()?;
        let tier = tiers
            .iter()
            .find(|t| t.id == view.proposal.tier)
            .ok_or_else(|| unknown_id("tier", &view.proposal.tier))?;
        if tier.approval != Approval::SelfCertification {
            return Err(ModelError::NotAllowed(format!(
                "the {} tier is approved by ratification, not self-certification",
                tier.name
            )));
        }
        if !is_applicant(&view.proposal, ctx.person) {
            return Err(ModelError::NotAllowed(
                "only the applicant can self-certify".into(),
            ));
        }
        if view.status == Status::Approved {
            return Err(ModelError::AlreadyActed {
                person: self.person_name(ctx.person),
                act: "self-certified",
            });
        }
        self.record(ctx, proposal, ActKind::SelfCertify, attestation)
    }

    pub fn withdraw(
        &mut self,
        ctx: Ctx<'_>,
        proposal: &str,
        comment: &str,
    ) -> Result<String, ModelError> {
        let view = self.open_proposal(proposal)?;
        if ctx.person != view.proposal.proposer
            && view.proposal.candidate.person.as_deref() != Some(ctx.person)
        {
            return Err(ModelError::NotAllowed(
                "only the proposer or the candidate can withdraw a proposal".into(),
            ));
        }
        if view.status == Status::Approved {
            return Err(approved("withdraw"));
        }
        let comment = bounded("comment", comment, MAX_BODY)?;
        self.record(ctx, proposal, ActKind::Withdraw, comment)
    }

    /// The members at `proposal`'s place in the order: the roster, and the individuals approved
    /// by the proposals before it (statuses never depend on later proposals).
    fn members_at(
        &self,
        membership: &Membership,
        proposal: &str,
    ) -> Result<std::collections::BTreeSet<String>, ModelError> {
        let (mut members, _) =
            crate::tolerant::list::<String, _>(self.doc(), &automerge::ROOT, "roster")?;
        let mut at: std::collections::BTreeSet<String> = members.drain(..).collect();
        for view in &membership.proposals {
            if view.proposal.id == proposal {
                break;
            }
            if view.status == Status::Approved
                && view.proposal.candidate.kind == CandidateKind::Individual
            {
                at.extend(view.proposal.candidate.person.clone());
            }
        }
        Ok(at)
    }

    fn open_proposal(&self, proposal: &str) -> Result<ProposalView, ModelError> {
        open(&self.membership()?, proposal).cloned()
    }

    fn record(
        &mut self,
        ctx: Ctx<'_>,
        proposal: &str,
        kind: ActKind,
        comment: String,
    ) -> Result<String, ModelError> {
        let obj = self
            .list_item(&automerge::ROOT, "proposals", proposal)?
            .ok_or_else(|| unknown_id("proposal", proposal))?;
        self.change(ctx, "act on proposal", |ws| {
            let id = ws.next_id();
            ws.append(
                &obj,
                "acts",
                &Act {
                    id: id.clone(),
                    kind,
                    by: ctx.person.to_owned(),
                    at: ctx.at.to_owned(),
                    comment,
                },
            )?;
            Ok(id)
        })
    }

    pub fn tiers(&self) -> Result<Vec<Tier>, ModelError> {
        Ok(crate::tolerant::list(self.doc(), &automerge::ROOT, "tiers")?.0)
    }

    /// Tiers and the roster decide who becomes a member, so only members change them (audit
    /// M5): otherwise anyone with the link could switch a tier to self-certification and
    /// approve themselves. A workspace with no members yet (nobody on its roster) is open to
    /// whoever sets it up.
    pub(crate) fn require_member(&self, person: &str, what: &str) -> Result<(), ModelError> {
        let members = self.membership()?.members;
        if members.is_empty() || members.contains(person) {
            Ok(())
        } else {
            Err(ModelError::NotAllowed(format!("only members may {what}")))
        }
    }

    pub fn add_tier(
        &mut self,
        ctx: Ctx<'_>,
        name: &str,
        approval: Approval,
    ) -> Result<String, ModelError> {
        self.require_member(ctx.person, "add a tier")?;
        let name = nonempty("tier name", name, MAX_NAME)?;
        check_approval(approval)?;
        self.edit(ctx, "add tier", "tiers", |tiers: &mut Vec<Tier>, ids| {
            let id = ids.next();
            tiers.push(Tier {
                id: id.clone(),
                name,
                approval,
            });
            Ok(id)
        })
    }

    pub fn set_tier_policy(
        &mut self,
        ctx: Ctx<'_>,
        tier: &str,
        approval: Approval,
    ) -> Result<(), ModelError> {
        self.require_member(ctx.person, "change how a tier approves")?;
        check_approval(approval)?;
        self.edit(
            ctx,
            "change tier policy",
            "tiers",
            |tiers: &mut Vec<Tier>, _| {
                require(tiers, tier, "tier", |t| &t.id)?.approval = approval;
                Ok(())
            },
        )
    }

    pub fn rename_tier(&mut self, ctx: Ctx<'_>, tier: &str, name: &str) -> Result<(), ModelError> {
        self.require_member(ctx.person, "rename a tier")?;
        let name = nonempty("tier name", name, MAX_NAME)?;
        self.edit(ctx, "rename tier", "tiers", |tiers: &mut Vec<Tier>, _| {
            require(tiers, tier, "tier", |t| &t.id)?.name = name;
            Ok(())
        })
    }

    /// Adds a person to the standing roster (who may ratify from the start).
    pub fn add_to_roster(&mut self, ctx: Ctx<'_>, person: &str) -> Result<(), ModelError> {
        self.require_member(ctx.person, "change the roster")?;
        use automerge::{ObjType, ReadDoc, Value};
        let doc = self.doc();
        let known = match doc.get(automerge::ROOT, "people")? {
            Some((Value::Object(ObjType::Map), people)) => doc.get(&people, person)?.is_some(),
            _ => false,
        };
        if !known {
            return Err(unknown_id("person", person));
        }
        let (roster, _) = crate::tolerant::list::<String, _>(doc, &automerge::ROOT, "roster")?;
        if roster.iter().any(|p| p == person) {
            return Ok(());
        }
        // Appended without reconciling the whole list.
        let person = person.to_owned();
        self.change(ctx, "add to roster", |ws| {
            ws.append(&automerge::ROOT, "roster", &person)
        })
    }
}

/// The proposal, unless it is unknown or withdrawn.
/// Why an act on an approved proposal is refused: it would not count (audit M8).
fn approved(verb: &str) -> ModelError {
    ModelError::NotAllowed(format!(
        "this proposal is approved, and an approval stands: you cannot {verb} it now"
    ))
}

fn open<'a>(membership: &'a Membership, proposal: &str) -> Result<&'a ProposalView, ModelError> {
    let view = membership
        .proposals
        .iter()
        .find(|p| p.proposal.id == proposal)
        .ok_or_else(|| unknown_id("proposal", proposal))?;
    if view.status == Status::Withdrawn {
        return Err(ModelError::NotAllowed("this proposal was withdrawn".into()));
    }
    Ok(view)
}

fn check_approval(approval: Approval) -> Result<(), ModelError> {
    match approval {
        Approval::Ratification {
            endorsements: 0, ..
        } => Err(ModelError::NotAllowed(
            "ratification needs at least one endorsement".into(),
        )),
        Approval::Ratification { endorsements, .. } if endorsements > 100 => Err(
            ModelError::NotAllowed("ratification needs at most 100 endorsements".into()),
        ),
        _ => Ok(()),
    }
}

/// The membership derived from any reader (the document now, or at some heads).
pub(crate) fn membership_in(doc: &impl autosurgeon::ReadDoc) -> Result<Membership, ModelError> {
    // One unreadable roster entry, tier, proposal or act (a hostile peer's) must not hide
    // the others.
    let (roster, _) = crate::tolerant::list::<String, _>(doc, &automerge::ROOT, "roster")?;
    let tiers = crate::tolerant::list(doc, &automerge::ROOT, "tiers")?.0;
    let (proposals, _) = crate::tolerant::list::<crate::schema::ProposalRead, _>(
        doc,
        &automerge::ROOT,
        "proposals",
    )?;
    // An act "by" someone whose key did not write it counts for no one (#13).
    let forged = crate::trust::forged_acts_in(doc);
    let mut dropped: BTreeMap<String, Vec<crate::schema::Act>> = BTreeMap::new();
    let proposals = proposals
        .into_iter()
        .map(Proposal::from)
        .map(|mut p| {
            let (keep, forged_here): (Vec<_>, Vec<_>) =
                p.acts.into_iter().partition(|a| !forged.contains(a));
            p.acts = keep;
            if !forged_here.is_empty() {
                dropped.insert(p.id.clone(), forged_here);
            }
            p
        })
        .collect();
    let mut membership = derive_from(&roster, &tiers, proposals);
    for view in &mut membership.proposals {
        if let Some(f) = dropped.remove(&view.proposal.id) {
            view.forged = f;
        }
    }
    Ok(membership)
}
