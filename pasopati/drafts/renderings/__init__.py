"""One approved message, many renderings.

A message is approved once as one canonical plain-text body; every channel's rendering
is derived from that exact body by the pure functions here (no I/O), so an approver's
edit reaches every channel, down to the short social post.

- `parts` parses a body (letterhead, kind, title, dateline, lead, paragraphs, sections,
  signature), degrading gracefully on any string.
- `render` derives one `Format`'s `Rendering`; `limit_problems` says whether it is within
  its format's limits (X 280 weighted, Telegram 4096 per message, WhatsApp parameters
  824 together and one line each, e-mail subject 150 and one line, Facebook 63,206).
"""

from pasopati.drafts.renderings.limits import limit_problems
from pasopati.drafts.renderings.model import Format, Parts, Rendering
from pasopati.drafts.renderings.parse import parts
from pasopati.drafts.renderings.render import render

__all__ = ["Format", "Parts", "Rendering", "limit_problems", "parts", "render"]
