"""The header that marks a post as having been through one of our lists."""

LOOP_MARKER = "X-MailFlow-List"
