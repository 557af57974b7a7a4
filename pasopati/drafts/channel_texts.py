"""What each channel posts of one approved message: its rendering (pasopati.drafts.renderings),
derived from the approved text at the moment of publishing and shown to approvers beforehand."""

from __future__ import annotations

from pasopati.drafts.models import Draft
from pasopati.drafts.renderings import Format, Rendering, render
from pasopati.drafts.service import REVISION_SUFFIX
from pasopati.plan.catalog import Catalog


def statement_link(draft: Draft, cat: Catalog) -> str:
    """The website address of the full statement (every revision of a message shares it)."""
    return cat.channels.statement_url.format(message=REVISION_SUFFIX.sub("", draft.id))


def rendering_for(draft: Draft, channel: str, cat: Catalog, hashtags: list[str], link: str | None = None) -> Rendering:
    """``draft`` as ``channel`` posts it, with the runbook's ``hashtags`` and the link to the
    statement (``link``: the website post's address once it is published; default ``statement_url``).
    Raises KeyError for a channel not in channels.yaml."""
    config = cat.channels.channels[channel]
    template = getattr(config, "template", None)  # WhatsApp: the approved template the channel sends
    return render(draft.body, Format(config.format), language=draft.language, link=link or statement_link(draft, cat), hashtags=hashtags,
                  **({"whatsapp_template": template} if template else {}))
