"""English mode (issue 10): seeded reward rule names, the portal's own comments and the bulletin's menu follow
the reader's language; stored texts, the payout sheet and the bulletin document stay Chinese."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from anyang_hte.core.system_text import shown
from applications.services import CERTIFIED_BY_QUALIFICATION
from enterprises import services as ent_services
from enterprises.models import Qualification
from incentives import reference
from incentives.models import Reward
from incentives.services.engine import REVOKED
from tests.incentives.factories import RewardFactory, RewardRuleFactory

HTE_NAME = "新认定高新技术企业奖励"


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def english(msgid: str) -> str:
    with translation.override("en"):
        return gettext(msgid)


@pytest.fixture
def fake_catalogue(monkeypatch):
    """A stand-in English catalogue for the rule names, so the pages are shown to use the translation
    whether or not locale/en has the entry yet."""
    real = reference.gettext

    def fake(message):
        if translation.get_language() == "en" and message in reference.SEEDED_NAMES.values():
            return f"EN {message}"
        return real(message)

    monkeypatch.setattr(reference, "gettext", fake)


# --- rule names ---------------------------------------------------------------------------------


def test_seeded_rule_names_are_msgids_and_stay_stored_in_chinese(db):
    reward = RewardFactory()
    assert reward.rule.code == "HTE_NEW" and reward.rule.name == HTE_NAME
    with translation.override("en"):
        assert reward.rule.display_name == english(HTE_NAME)
    with translation.override("zh-hans"):
        assert reward.rule.display_name == HTE_NAME


def test_a_rule_an_administrator_added_keeps_its_name(db, fake_catalogue):
    rule = RewardRuleFactory(code="CUSTOM", name=HTE_NAME)  # same words, not the seeded rule
    seeded = RewardRuleFactory(code="HTE_NEW")  # the seeded code with the seeded name: translated
    with translation.override("en"):
        assert rule.display_name == HTE_NAME
        assert seeded.display_name == f"EN {HTE_NAME}"


@pytest.mark.parametrize("page", ["list", "detail"])
def test_reward_pages_show_the_rule_in_the_readers_language(client, reviewer, fake_catalogue, page):
    reward = RewardFactory(status=Reward.Status.SUBMITTED)
    url = reverse("incentives:reward_list") if page == "list" else reward.get_absolute_url()
    client.force_login(reviewer)

    chinese = client.get(url).content.decode()
    assert HTE_NAME in chinese and f"EN {HTE_NAME}" not in chinese

    in_english(client)
    page_en = client.get(url).content.decode()
    assert f"EN {HTE_NAME}" in page_en
    assert Reward.objects.get(pk=reward.pk).rule.name == HTE_NAME  # stored name unchanged


def test_reward_pages_follow_the_real_catalogue(client, reviewer):
    """Against locale/en as it is: the page shows whatever English the catalogue gives (the Chinese until
    the lead adds the entry)."""
    reward = RewardFactory(status=Reward.Status.SUBMITTED)
    client.force_login(reviewer)
    in_english(client)
    assert english(HTE_NAME) in client.get(reward.get_absolute_url()).content.decode()
    assert english(HTE_NAME) in client.get(reverse("incentives:reward_list")).content.decode()


# --- the portal's own comments --------------------------------------------------------------------


def test_a_system_comment_is_stored_in_chinese_and_read_in_english(client, reviewer, county_official):
    reward = RewardFactory(
        status=Reward.Status.SUBMITTED, enterprise__jurisdiction=county_official.jurisdiction
    )
    with translation.override("en"):  # whoever revokes it, in whatever language
        ent_services.qualification_revoke(
            qualification=reward.qualification,
            revoked_on=datetime.date(2025, 6, 1),
            reason="弄虚作假",
            by=reviewer,
        )
    stored = reward.decisions.last().comment
    assert stored == "资质已于 2025-06-01 撤销：弄虚作假"

    with translation.override("en"):
        assert shown(stored) == "Qualification revoked on 2025-06-01: 弄虚作假"
        assert shown("材料齐全，同意") == "材料齐全，同意"  # typed by a person: as typed
    with translation.override("zh-hans"):
        assert shown(stored) == stored

    client.force_login(reviewer)
    assert stored in client.get(reward.get_absolute_url()).content.decode()
    in_english(client)
    page = client.get(reward.get_absolute_url()).content.decode()
    assert "Qualification revoked on 2025-06-01: 弄虚作假" in page
    assert stored not in page


def test_stored_texts_round_trip_through_their_msgid():
    text = REVOKED.stored(d="2024-01-02", r="转移：（见附件）%")
    assert REVOKED.read(text) == text  # Chinese active by default
    with translation.override("en"):
        assert REVOKED.read(text) == english("资质已于 %(d)s 撤销：%(r)s") % {
            "d": "2024-01-02",
            "r": "转移：（见附件）%",
        }
        assert REVOKED.read("资质已撤销") is None


def test_a_certified_entrys_system_reason_translates_its_source_label():
    source = Qualification.Source.OFFICIAL_LIST
    with translation.override("en"):
        text = CERTIFIED_BY_QUALIFICATION.stored(
            source=source.label, number="GR202441000001", day="2024-12-01"
        )
    with translation.override("zh-hans"):
        chinese_label = str(source.label)
    assert chinese_label in text and "GR202441000001" in text  # stored in Chinese
    with translation.override("en"):
        expected = english(CERTIFIED_BY_QUALIFICATION.msgid) % {
            "source": str(source.label),
            "number": "GR202441000001",
            "day": "2024-12-01",
        }
        assert shown(text) == expected
        assert expected.startswith("High-tech enterprise qualification")


# --- the bulletin -------------------------------------------------------------------------------


def test_the_bulletin_menu_follows_the_language_and_the_document_stays_chinese(client, reviewer):
    client.force_login(reviewer)
    url = reverse("assessment:bulletin")
    chinese = client.get(url).content.decode()
    assert "打印" in chinese and "发布单位：" in chinese

    in_english(client)
    page = client.get(url).content.decode()
    menu, document = page.split('data-testid="bulletin"', 1)
    assert english("打印") == "Print" and "Print" in menu and "Download Excel" in menu
    assert "打印" not in menu
    assert 'lang="zh-hans"' in document
    for chinese_text in ("发布单位：", "序号", "全市合计", "说明："):
        assert chinese_text in document
    assert "Issued by" not in document and "No." not in document
