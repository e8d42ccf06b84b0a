"""The catalogue of revocation reasons: codes, names and labels in both languages."""

from __future__ import annotations

from chain.revocation import (
    ManualRevocationReason,
    RevocationReason,
    describe,
    manual_choices,
)


def test_every_catalogued_reason_has_a_name_and_labels_in_both_languages() -> None:
    for reason in RevocationReason:
        label = describe(reason.value)
        assert (label.code, label.name) == (reason.value, reason.name)
        assert label.zh and label.en and label.zh != label.en


def test_disposal_is_code_one_as_the_registry_records_it_and_not_a_manual_choice() -> None:
    assert describe(1).name == "DISPOSED" and describe(1).zh == "数据资产已处置"
    assert [c.code for c in manual_choices()] == [2, 3, 4, 5, 6, 99]
    assert {int(r) for r in ManualRevocationReason} == {int(r) for r in RevocationReason} - {1}
    for reason in ManualRevocationReason:
        assert RevocationReason(reason.value).name == reason.name


def test_a_code_outside_the_catalogue_is_shown_as_unlisted_with_its_number() -> None:
    label = describe(7)
    assert (label.code, label.name) == (7, "UNLISTED")
    assert label.en == "unlisted reason code 7" and label.zh == "未列明的原因代码 7"
