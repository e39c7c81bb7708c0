"""No task of its own: entries are written in the request or import that terminates an agent (a few rows),
and expiry is a comparison with the time, made by the rule (BLACKLISTED_AGENT) in every check run."""
