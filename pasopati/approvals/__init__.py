"""The approval page: a decision from a phone, through a single-use link sent to the approver's own contact.

The way of one link:

1. A gate round opens (``tasks.gates.gate_step`` gets a DECIDE step) → ``sending.send_links``
   issues one link per person who may decide now (``decisions.authority.deciders``; those who
   already approved this text excepted), bound to person × incident × run × pause key × the
   round's full text hash (``identity.links.issue_link``), and sends it through the person's
   roster contact (``team.service.notify``, key ``tautan:<severity>:<pause key>``: once per
   round and person, however often the step is asked again).
2. ``GET /setuju/<token>`` (``web``) shows the drafts exactly as each channel gets them, the
   facts with sources and versions, the diff to the previous revision, the deadline and who
   approved — read with ``identity.links.peek_link``, which consumes and writes nothing.
3. ``POST /setuju/<token>`` (``page.decide``) records an ``ApprovalAnswer`` through
   ``decisions.service.submit`` (the link redeemed there, in the decision's own transaction;
   refusals recorded too), revokes the round's other links once it is decided, and wakes the run
   (``runs.ring``).

Modules: ``models`` (what the page shows and answers), ``sending``, ``page`` (reads and the
decision), ``form`` (the posted form, checked and capped), ``limits`` (how often one link may
write), ``web`` (the FastAPI router the intake mounts, and its HTML).
"""
