"""Quorum rules, one by one: met, not yet met, no longer possible."""

from __future__ import annotations

from workflows.quorum import (
    EVERYONE,
    GroupRule,
    MemberState,
    evaluate,
    evaluate_all,
    pact_holds,
    progress_marks,
)


def members(*specs: tuple[int, str, str]) -> list[MemberState]:
    return [MemberState(organisation_id=o, kind=k, status=s) for o, k, s in specs]


BROKERS = [
    (1, "customs_broker", "invited"),
    (2, "customs_broker", "invited"),
    (3, "customs_broker", "invited"),
    (4, "customs_broker", "invited"),
    (9, "customs_administration", "invited"),
]


def with_status(specs, **changes: str):
    return members(*[(o, k, changes.get(f"o{o}", s)) for o, k, s in specs])


def test_all_of_these():
    rule = GroupRule(name="brokers", kinds=["customs_broker"], rule="all")
    assert not evaluate(rule, with_status(BROKERS, o1="signed", o2="signed", o3="signed")).met
    status = evaluate(rule, with_status(BROKERS, o1="signed", o2="signed", o3="signed", o4="signed"))
    assert status.met and (status.signed, status.target, status.members) == (4, 4, 4)
    assert evaluate(rule, with_status(BROKERS, o4="declined")).impossible


def test_at_least_n():
    rule = GroupRule(name="brokers", kinds=["customs_broker"], rule="at_least", n=2)
    assert not evaluate(rule, with_status(BROKERS, o1="signed")).met
    assert evaluate(rule, with_status(BROKERS, o1="signed", o3="signed")).met
    two_left = evaluate(rule, with_status(BROKERS, o1="declined", o2="declined"))
    assert not two_left.impossible
    one_left = evaluate(rule, with_status(BROKERS, o1="declined", o2="declined", o3="expired"))
    assert one_left.impossible and not one_left.met


def test_at_least_percent_of_those_invited():
    rule = GroupRule(name="brokers", kinds=["customs_broker"], rule="percent", percent=60)
    # 60 % of 4 invited is 2.4: three signatures are needed.
    assert evaluate(rule, BROKERS and members(*BROKERS)).target == 3
    assert not evaluate(rule, with_status(BROKERS, o1="signed", o2="signed")).met
    assert evaluate(rule, with_status(BROKERS, o1="signed", o2="signed", o4="signed")).met
    assert evaluate(rule, with_status(BROKERS, o1="declined", o2="withdrawn")).impossible


def test_required_organisations_must_sign():
    rule = GroupRule(
        name="customs and brokers", organisation_ids=[1, 2, 9], rule="at_least", n=2, required=[9]
    )
    assert not evaluate(rule, with_status(BROKERS, o1="signed", o2="signed")).met
    assert evaluate(rule, with_status(BROKERS, o1="signed", o2="signed")).missing_required == [9]
    assert evaluate(rule, with_status(BROKERS, o1="signed", o9="signed")).met
    assert evaluate(rule, with_status(BROKERS, o9="declined")).impossible


def test_a_withdrawal_breaks_a_met_rule():
    rule = GroupRule(name="brokers", kinds=["customs_broker"], rule="at_least", n=2)
    assert evaluate(rule, with_status(BROKERS, o1="signed", o2="signed")).met
    after = evaluate(rule, with_status(BROKERS, o1="signed", o2="withdrawn"))
    assert not after.met and after.signed == 1 and not after.impossible


def test_named_list_and_empty_group():
    rule = GroupRule(name="listed", organisation_ids=[2, 3], rule="all")
    assert evaluate(rule, with_status(BROKERS, o2="signed", o3="signed")).met
    nobody = GroupRule(name="forwarders", kinds=["freight_forwarder"], rule="at_least", n=1)
    status = evaluate(nobody, members(*BROKERS))
    assert status.members == 0 and status.impossible and not status.met


def test_the_pact_needs_every_group_and_defaults_to_everyone():
    customs = GroupRule(name="customs", kinds=["customs_administration"], rule="all")
    brokers = GroupRule(name="brokers", kinds=["customs_broker"], rule="at_least", n=1)
    state = with_status(BROKERS, o1="signed")
    assert not pact_holds(evaluate_all([customs, brokers], state))
    assert pact_holds(evaluate_all([customs, brokers], with_status(BROKERS, o1="signed", o9="signed")))
    assert [s.name for s in evaluate_all([], state)] == [EVERYONE.name]
    everyone_signed = with_status(BROKERS, o1="signed", o2="signed", o3="signed", o4="signed", o9="signed")
    assert pact_holds(evaluate_all([], everyone_signed))


def test_progress_marks_at_33_and_66_percent():
    rule = GroupRule(name="brokers", kinds=["customs_broker"], rule="at_least", n=3)
    assert progress_marks(evaluate(rule, members(*BROKERS))) == []
    assert progress_marks(evaluate(rule, with_status(BROKERS, o1="signed"))) == [33]
    assert progress_marks(evaluate(rule, with_status(BROKERS, o1="signed", o2="signed"))) == [33, 66]
