"""gunicorn's logger with secret path segments (client portal tokens) masked in the access log
(core/log_redaction.py)."""

from gunicorn.glogging import Logger

from core.log_redaction import redact_path


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        # Request line, path and referer: the atoms that can hold a portal link.
        for name in ("r", "U", "f"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact_path(atoms[name])
        return atoms
