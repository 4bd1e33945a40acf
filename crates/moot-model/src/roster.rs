//! Who the members are, grouped by tier, and how each got in; what a pending proposal still
//! needs. Derived from the same membership every peer computes.

use crate::{
    Membership, ModelError, ProposalView, Status, Workspace,
    schema::{Approval, CandidateKind, ObjectionRule, Tier},
};

/// How a member got in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum How {
    /// On the roster: a standing member from the start.
    Standing,
    /// Certified themselves under a self-certification tier, at that time.
    SelfCertified { at: String },
    /// Endorsed by these members; the last endorsement that counted came at `at`.
    Ratified { by: Vec<String>, at: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberLine {
    pub person: String,
    pub how: How,
    /// The proposal that made them a member.
    pub proposal: Option<String>,
}

/// The members of one tier (`None`: the roster's standing members).
#[derive(Debug, Clone, PartialEq)]
pub struct TierGroup {
    pub tier: Option<Tier>,
    pub members: Vec<MemberLine>,
}

impl ProposalView {
    /// What a pending proposal still needs, in words ("2 more endorsements"); `None` when it
    /// is not pending.
    pub fn still_needs(&self, tiers: &[Tier]) -> Option<String> {
        if self.status != Status::Pending {
            return None;
        }
        let plural = |k: u64| {
            if k == 1 {
                "1 more endorsement".to_owned()
            } else {
                format!("{k} more endorsements")
            }
        };
        Some(
            match tiers
                .iter()
                .find(|t| t.id == self.proposal.tier)
                .map(|t| t.approval)
            {
                None => "a tier: the one it was proposed for was removed".into(),
                Some(Approval::SelfCertification) => "the applicant's own certification".into(),
                Some(Approval::Ratification {
                    endorsements,
                    objections,
                }) => {
                    let (e, o) = (self.endorsements as u64, self.objections as u64);
                    match objections {
                        ObjectionRule::Subtract => format!(
                            "{} (each objection cancels one)",
                            plural((endorsements + o).saturating_sub(e).max(1))
                        ),
                        _ => plural(endorsements.saturating_sub(e).max(1)),
                    }
                }
            },
        )
    }
}

impl Membership {
    /// The members grouped by tier: standing members first, then each tier in its order;
    /// within a group, in the order they got in.
    pub fn by_tier(&self, roster: &[String], tiers: &[Tier]) -> Vec<TierGroup> {
        let mut groups = vec![TierGroup {
            tier: None,
            members: roster
                .iter()
                .map(|p| MemberLine {
                    person: p.clone(),
                    how: How::Standing,
                    proposal: None,
                })
                .collect(),
        }];
        groups[0].members.dedup_by(|a, b| a.person == b.person);
        for tier in tiers {
            let members = self
                .proposals
                .iter()
                .filter(|v| {
                    v.status == Status::Approved
                        && v.proposal.tier == tier.id
                        && v.proposal.candidate.kind == CandidateKind::Individual
                })
                .filter_map(|v| {
                    let person = v.proposal.candidate.person.clone()?;
                    let how = match tier.approval {
                        Approval::SelfCertification => How::SelfCertified {
                            at: v
                                .proposal
                                .acts
                                .iter()
                                .find(|a| a.kind == crate::schema::ActKind::SelfCertify)
                                .map(|a| a.at.clone())
                                .unwrap_or_default(),
                        },
                        Approval::Ratification { .. } => How::Ratified {
                            by: v.endorsers.clone(),
                            at: v
                                .proposal
                                .acts
                                .iter()
                                .filter(|a| {
                                    a.kind == crate::schema::ActKind::Endorse
                                        && v.endorsers.contains(&a.by)
                                })
                                .map(|a| a.at.clone())
                                .max()
                                .unwrap_or_default(),
                        },
                    };
                    Some(MemberLine {
                        person,
                        how,
                        proposal: Some(v.proposal.id.clone()),
                    })
                })
                .collect();
            groups.push(TierGroup {
                tier: Some(tier.clone()),
                members,
            });
        }
        groups
    }
}

impl Workspace {
    /// [`Membership::by_tier`] of this workspace.
    pub fn members_by_tier(&self) -> Result<Vec<TierGroup>, ModelError> {
        let membership = self.membership()?;
        let (roster, _) =
            crate::tolerant::list::<String, _>(self.doc(), &automerge::ROOT, "roster")?;
        Ok(membership.by_tier(&roster, &self.tiers()?))
    }
}
