"""A small web view of the local SMTP server's mailbox, so a newcomer can read what was sent."""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from pledgeflow.dev.mail_sink import MailSink

_STYLE = """<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2733}
main{max-width:70rem;margin:0 auto;padding:1rem}table{width:100%;border-collapse:collapse;background:#fff}
td,th{padding:.5rem;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}a{color:#0b5cad}
iframe{width:100%;height:70vh;border:1px solid #d9dde3;background:#fff}
pre{white-space:pre-wrap;background:#fff;padding:1rem;border:1px solid #d9dde3}
.muted{color:#5b6775}</style>"""


def create_mailbox_app(sink: MailSink) -> FastAPI:
    """Routes: / lists messages newest first; /m/<n> shows one; /m/<n>/raw is the source."""
    app = FastAPI(title="pledgeflow mailbox", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/api/messages")
    def messages_json() -> list[dict[str, object]]:
        """Every message, oldest first, with its plain-text body (for scripts and tests)."""
        return [
            {
                "index": index,
                "message_id": m.message_id,
                "to": m.recipients,
                "cc": m.cc,
                "subject": m.subject,
                "date": str(m.parsed.get("Date", "")),
                "text": m.text,
            }
            for index, m in enumerate(sink.messages)
        ]

    @app.get("/", response_class=HTMLResponse)
    def inbox() -> str:
        messages = sink.messages
        rows = "".join(
            f"<tr><td class=muted>{escape(m.received_at.strftime('%Y-%m-%d %H:%M:%S'))}</td>"
            f"<td>{escape(', '.join(m.recipients))}</td>"
            f"<td><a href='/m/{index}'>{escape(m.subject)}</a></td></tr>"
            for index, m in reversed(list(enumerate(messages)))
        )
        return (
            "<!doctype html><meta charset=utf-8><meta http-equiv=refresh content=10>"
            f"<title>Mailbox</title>{_STYLE}"
            f"<main><h1>Mailbox <span class=muted>({len(messages)} messages, SMTP on {sink.host}:{sink.port})"
            f"</span></h1><table><tr><th>Received</th><th>To</th><th>Subject</th></tr>{rows}</table></main>"
        )

    def _get(index: int) -> Response | None:
        messages = sink.messages
        if not 0 <= index < len(messages):
            return PlainTextResponse(f"no message {index}", status_code=404)
        return None

    @app.get("/m/{index}", response_class=HTMLResponse)
    def message(index: int) -> Response:
        missing = _get(index)
        if missing is not None:
            return missing
        m = sink.messages[index]
        html_part = '<base target="_blank">' + m.html
        return HTMLResponse(
            f"<!doctype html><meta charset=utf-8><title>{escape(m.subject)}</title>{_STYLE}<main>"
            f"<p><a href='/'>&larr; Mailbox</a> · <a href='/m/{index}/raw'>source</a></p>"
            f"<h1>{escape(m.subject)}</h1><p class=muted>To {escape(', '.join(m.recipients))}"
            f"{' · Cc ' + escape(', '.join(m.cc)) if m.cc else ''} · {escape(str(m.parsed.get('Date', '')))}"
            f" · <span style='word-break:break-all'>{escape(m.message_id)}</span></p>"
            "<iframe sandbox='allow-popups allow-popups-to-escape-sandbox' "
            f'srcdoc="{escape(html_part)}"></iframe>'
            f"<h2>Plain text</h2><pre>{escape(m.text)}</pre></main>"
        )

    @app.get("/m/{index}/raw", response_class=PlainTextResponse)
    def raw(index: int) -> Response:
        missing = _get(index)
        if missing is not None:
            return missing
        return PlainTextResponse(sink.messages[index].raw.decode("utf-8", "replace"))

    return app
