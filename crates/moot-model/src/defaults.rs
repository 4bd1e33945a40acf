//! What a new workspace starts with: the tiers from the IOPA minutes and the built-in tag.

use crate::{schema::*, workspace::IdSource};

/// The tag the seed minutes ask reviewers to focus on; first in every tag list.
pub const OPERATIONAL_QUESTION: &str = "operational question";

/// Community member and member by self-certification; active and reputational ratified by
/// others, as the membership workstream sketched.
pub(crate) fn tiers(ids: &mut IdSource<'_>) -> Vec<Tier> {
    let tier = |ids: &mut IdSource<'_>, name: &str, approval| Tier {
        id: ids.next(),
        name: name.to_owned(),
        approval,
    };
    vec![
        tier(ids, "Community member", Approval::SelfCertification),
        tier(ids, "Member", Approval::SelfCertification),
        tier(
            ids,
            "Active",
            Approval::Ratification {
                endorsements: 2,
                objections: ObjectionRule::Subtract,
            },
        ),
        tier(
            ids,
            "Reputational",
            Approval::Ratification {
                endorsements: 3,
                objections: ObjectionRule::Veto,
            },
        ),
    ]
}
