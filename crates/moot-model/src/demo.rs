//! The demo workspace, built from the IOPA Governance task force's minutes
//! (../shared/seed/iopa-governance-minutes.txt): the December 20th 14:00 UTC work session,
//! its agenda, workstreams and action points, the tiers with both approval paths, and a short
//! sample Code of Conduct draft (our own words) with example comments.

use crate::{
    ModelError, Workspace,
    schema::{Approval, Candidate, CandidateKind, ItemKind, ObjectionRule},
    workspace::Ctx,
};

pub const DEMO_SESSION_START: &str = "2025-12-20T14:00:00Z";
pub const ANNA: &str = "demo-anna";
pub const ANDREW: &str = "demo-andrew";

const INVITATION: &str = "The next work session will be at 1400UTC on December 20th.\n\
Why you should join: the Governance task force is embarking on a IOPA Governance reboot! All are welcome to \
participate in the process. During this call, we'll take a deep dive into the 2 key workstreams of that reboot \
process: decision-making and membership. We hope to see you there!\n\
If you'd like to be added to the calendar invite, please message me!";

const DECISION_SCOPE: &str = "We are not talking about the governance of the IoP Foundation(s). This is about having a \
community-type organization, its core function being the stewardship around the core functions of the Alliance. \
It should be a collaboration to ensure that people come together to create a commons structure.";

pub const CODE_OF_CONDUCT: &str = "Code of Conduct (draft)\n\n\
1. Purpose. This code describes how we work together in the Internet of Production Alliance: in calls, in \
shared documents and in every channel we use.\n\n\
2. Be considerate. Assume good intent, listen before answering, and make room for people who speak less.\n\n\
3. Be open. Decisions and their reasons are written down where every member can read them.\n\n\
4. Disagree well. Criticise ideas, not people. Harassment, insults and personal attacks are not accepted.\n\n\
5. Reporting. Anyone who sees a breach of this code can report it to the stewards, who answer within two weeks \
and keep the reporter's name confidential.\n\n\
6. Consequences. The stewards may warn, suspend or, after a ratified decision, remove a member who breaches \
this code.\n";

/// Builds the demo workspace as `ctx.person` (who becomes the facilitator).
pub fn demo_workspace(
    ctx: Ctx<'_>,
    your_name: &str,
    id_seed: u64,
) -> Result<Workspace, ModelError> {
    let mut ws = Workspace::create(ctx, "IOPA Governance", your_name, id_seed)?;
    ws.set_description(
        ctx,
        "Internet of Production Alliance — Governance task force: the governance reboot.",
    )?;
    ws.set_person_name(ctx, ANNA, "Anna")?;
    ws.set_person_name(ctx, ANDREW, "Andrew")?;
    ws.add_to_roster(ctx, ANNA)?;
    ws.add_to_roster(ctx, ANDREW)?;

    let s = ws.add_session(
        ctx,
        "IOPA Governance work session",
        DEMO_SESSION_START,
        90,
        INVITATION,
    )?;
    let welcome = ws.add_agenda_item(ctx, &s, None, "Welcome")?;
    ws.set_minutes(ctx, &s, &welcome, "Welcome and introductions.")?;
    let discussion = ws.add_agenda_item(ctx, &s, None, "Discussion points")?;
    ws.set_minutes(
        ctx,
        &s,
        &discussion,
        "Work streams from the IOPA governance design process: first thoughts on each work-stream: key questions, food for thought, first ideas.",
    )?;
    let decision = ws.add_agenda_item(ctx, &s, Some(&discussion), "Decision making")?;
    ws.set_minutes(
        ctx,
        &s,
        &decision,
        &format!(
            "Scope: {DECISION_SCOPE}\n\nDirect or Representative Democracy? — discussion. Key points: driven by a charter; \
standards committees/working groups/specific communities would have their own governance structure; this discussion \
is closely linked to the question of the types of members (individual vs. organisations, size of organisation). \
\"If it's organisational membership, representative democracy allows for easy capture\"."
        ),
    )?;
    let membership = ws.add_agenda_item(ctx, &s, Some(&discussion), "Membership")?;
    ws.set_minutes(
        ctx,
        &s,
        &membership,
        "Open brainstorm around criteria/parameters to take into account. Key takeaways: thinking in phases; thinking in \
circles/tiers: community members/members/active/reputational; approval process: self-certification vs. ratification \
by others. Communication channels and tools: on-boarding process, website page on membership.",
    )?;
    let docs = ws.add_agenda_item(ctx, &s, Some(&discussion), "Foundational documents")?;
    ws.set_minutes(
        ctx,
        &s,
        &docs,
        "Draft of the Code of Conduct is up for review. The ask: for people to review, with focus on the operational questions.",
    )?;
    let summary = ws.add_agenda_item(ctx, &s, None, "Action points summary")?;

    ws.add_action_point(
        ctx,
        &s,
        "Schedule a 90 minute call on the decision-making workstream prior to the next work session on Jan 17th",
        &[ANNA.to_owned()],
        Some("2026-01-17"),
        Some(&summary),
    )?;
    ws.add_action_point(
        ctx,
        &s,
        "Review the Code of Conduct and comment, with focus on the operational questions",
        &["all".to_owned()],
        Some("2026-01-17"),
        Some(&summary),
    )?;
    ws.add_action_point(
        ctx,
        &s,
        "Find any past document relevant to creating a charter",
        &[ANNA.to_owned(), ANDREW.to_owned()],
        None,
        Some(&summary),
    )?;

    // The seed's words are the task force's: Anna and Andrew wrote them, not whoever opens
    // the demo.
    let anna = Ctx::new(ANNA, ctx.at);
    let andrew = Ctx::new(ANDREW, ctx.at);
    let dm = ws.add_workstream(ctx, "Decision making", DECISION_SCOPE)?;
    ws.add_workstream_item(
        anna,
        &dm,
        ItemKind::KeyQuestion,
        "Direct or representative democracy?",
    )?;
    ws.add_workstream_item(anna, &dm, ItemKind::FoodForThought, "Driven by a charter; standards committees, working groups and specific communities would have their own governance structure.")?;
    ws.add_workstream_item(anna, &dm, ItemKind::FoodForThought, "Closely linked to the types of members (individual vs. organisations, size of organisation): \"If it's organisational membership, representative democracy allows for easy capture\".")?;
    let mb = ws.add_workstream(
        ctx,
        "Membership",
        "Criteria and parameters for membership; communication channels and tools.",
    )?;
    ws.add_workstream_item(andrew, &mb, ItemKind::FirstIdea, "Think in phases.")?;
    ws.add_workstream_item(
        andrew,
        &mb,
        ItemKind::FirstIdea,
        "Think in circles/tiers: community members, members, active, reputational.",
    )?;
    ws.add_workstream_item(
        andrew,
        &mb,
        ItemKind::KeyQuestion,
        "Approval process: self-certification vs. ratification by others?",
    )?;
    ws.add_workstream_item(
        andrew,
        &mb,
        ItemKind::KeyQuestion,
        "On-boarding process and a website page on membership.",
    )?;

    let coc = ws
        .documents()?
        .first()
        .map(|d| d.id.clone())
        .expect("create() adds the draft");
    ws.replace_text(ctx, &coc, CODE_OF_CONDUCT)?;
    let at = |needle: &str| {
        let byte = CODE_OF_CONDUCT.find(needle).expect("demo passage exists");
        let start = CODE_OF_CONDUCT[..byte].chars().count();
        (start, start + needle.chars().count())
    };
    let (s1, e1) = at("report it to the stewards, who answer within two weeks");
    let t1 = ws.add_comment(
        anna,
        &coc,
        s1,
        e1,
        "Who are the stewards, and how are they chosen? Two weeks may be too slow for urgent cases.",
        &["operational question".to_owned()],
    )?;
    ws.reply(
        andrew,
        &coc,
        &t1,
        "Good point — the membership workstream should say how stewards are appointed.",
    )?;
    let (s2, e2) = at("Criticise ideas, not people.");
    ws.add_comment(
        andrew,
        &coc,
        s2,
        e2,
        "Clear and short. I would keep this wording.",
        &["wording".to_owned()],
    )?;
    let (s3, e3) = at("after a ratified decision");
    ws.add_comment(
        anna,
        &coc,
        s3,
        e3,
        "Ratified by whom? This depends on the decision-making workstream.",
        &[
            "operational question".to_owned(),
            "decision-making".to_owned(),
        ],
    )?;

    let tiers = ws.tiers()?;
    let active = tiers
        .iter()
        .find(|t| {
            matches!(
                t.approval,
                Approval::Ratification {
                    objections: ObjectionRule::Subtract,
                    ..
                }
            )
        })
        .map(|t| t.id.clone());
    if let Some(active) = active {
        ws.propose(
            anna,
            Candidate { kind: CandidateKind::Organisation, name: "Open Hardware Makers".into(), size: Some(12), person: None },
            &active,
            "A maker collective that has contributed to the standards working group since last year.",
        )?;
    }
    Ok(ws)
}
