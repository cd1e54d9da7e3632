"""The IP an application may count (工作指引 国科发火〔2016〕195号).

From the firm's IP register when it keeps one: items granted by the application date and not lapsed;
class I items always, a class II item only if it has not been used in an earlier HTE application.
Without a register the yearly counts of the year before the application stand in, and the verdict says
that the reuse of class II items could not be checked.
"""

import datetime
from dataclasses import dataclass

from ..models import IPAcquisition
from .common import _, missing_figures, value
from .facts import Facts


@dataclass(frozen=True)
class UsableIP:
    class_i: int | None  # None: unknown (a yearly count not filled in)
    class_ii: int | None
    self_developed: bool | None  # any usable item developed in house; None without a register
    from_register: bool
    reused_class_ii: int = 0  # class II items left out: used in an earlier application
    missing: str = ""  # what is missing when a count is unknown

    @property
    def known_total(self) -> int:
        return (self.class_i or 0) + (self.class_ii or 0)

    @property
    def complete(self) -> bool:
        return self.class_i is not None and self.class_ii is not None

    def describe(self) -> str:
        dash = "—"
        text = _("I类%(c1)s项，II类%(c2)s项") % {
            "c1": dash if self.class_i is None else self.class_i,
            "c2": dash if self.class_ii is None else self.class_ii,
        }
        if self.reused_class_ii:
            text += _("（另有%(n)s项II类已用于以往申报，不再计入）") % {"n": self.reused_class_ii}
        return text

    def source_note(self) -> str:
        if self.from_register:
            return _("按知识产权明细计")
        return _("按年度数据中的知识产权数计；II类知识产权是否已用于以往申报未核验")


def usable_ip(facts: Facts, *, year: int, on: datetime.date, reuse_matters: bool = True) -> UsableIP:
    """The IP an application in ``year`` judged on ``on`` counts. ``reuse_matters``: an HTE application
    (a class II item counts once); the tech-SME evaluation counts every item the firm holds."""
    if facts.has_ip_register:
        held = [
            item
            for item in facts.ip_items
            if item.granted_on <= on and (item.lapsed_on is None or item.lapsed_on > on)
        ]
        class_i = [item for item in held if item.is_class_i]
        class_ii = [item for item in held if not item.is_class_i]
        reused = [
            i for i in class_ii if reuse_matters and i.used_in_year is not None and i.used_in_year < year
        ]
        usable_ii = [item for item in class_ii if item not in reused]
        usable = class_i + usable_ii
        return UsableIP(
            class_i=len(class_i),
            class_ii=len(usable_ii),
            self_developed=any(item.acquisition == IPAcquisition.SELF for item in usable) if usable else None,
            from_register=True,
            reused_class_ii=len(reused),
        )
    last = year - 1
    c1, c2 = value(facts.rows, last, "ip_class1_count"), value(facts.rows, last, "ip_class2_count")
    missing = missing_figures(facts.rows, [last], ("ip_class1_count", "ip_class2_count"))
    return UsableIP(class_i=c1, class_ii=c2, self_developed=None, from_register=False, missing=missing)
