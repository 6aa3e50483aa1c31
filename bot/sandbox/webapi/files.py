"""Files v2 in the sandbox: ``files.getUploadURLExternal``, the upload POST, ``files.completeUploadExternal``."""

from __future__ import annotations

import mimetypes
import time
from typing import Any
from urllib.parse import quote

from bot.sandbox import validation
from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    SlackError,
    UploadedFile,
    _as_int,
    _PendingUpload,
)


class FilesMethods(SandboxBase):
    """Files v2 ``files.getUploadURLExternal``, the upload POST, ``files.completeUploadExternal``."""

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "filename", "length")
        length = _as_int(args.get("length"), 0)
        file_id = self._new_id("F")
        self._uploads[file_id] = _PendingUpload(file_id=file_id, filename=str(args["filename"]), length=length)
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "files")
        files = args["files"]
        if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["files: list of {id, title}"]})
        pending = []
        for entry in files:
            upload = self._uploads.get(str(entry["id"]))
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            pending.append((entry, upload))
        channel_id = args.get("channel_id") or None
        if channel_id is None and args.get("channels"):
            channel_id = str(args["channels"]).split(",")[0]
        if channel_id:
            channel_id = self._resolve_channel(str(channel_id))
        initial_comment = args.get("initial_comment") or None
        thread_ts = args.get("thread_ts") or None
        objects = []
        for entry, upload in pending:
            title = entry.get("title") or upload.filename
            self._uploads.pop(upload.file_id)
            self._uploaded_files.append(
                UploadedFile(
                    file_id=upload.file_id,
                    filename=upload.filename,
                    title=title,
                    channel_id=channel_id,
                    content=upload.content or b"",
                    initial_comment=initial_comment,
                    thread_ts=thread_ts,
                )
            )
            objects.append(self._file_object(upload, title, channel_id))
        if channel_id:
            message_args = {"text": initial_comment or "", "thread_ts": thread_ts}
            message = self._bot_message(message_args, self._next_ts())
            message.update(files=objects, upload=True, display_as_bot=False)
            self._messages.setdefault(channel_id, []).append(message)
        return {"files": objects}

    def _file_object(self, upload: _PendingUpload, title: str, channel_id: str | None) -> dict[str, Any]:
        name = upload.filename
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        url = f"{self.base}/files/{upload.file_id}/{quote(name)}"
        now = int(time.time())
        return {
            "id": upload.file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title,
            "mimetype": _guess_mimetype(name),
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": self.bot_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(upload.content or b""),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(channel_id and channel_id.startswith("C")),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": url + "?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload.file_id}/{name}",
            "comments_count": 0,
            "shares": {},
            "channels": [],
            "groups": [],
            "ims": [],
            "has_rich_preview": False,
        }

    def _store_upload(self, file_id: str, content: bytes) -> str | None:
        """Keep the bytes posted to an upload URL; the error (``not_found``, ``invalid_upload``) when refused."""
        ref = f"{validation.SPEC_REF}/files.getUploadURLExternal"
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return "not_found"
            problem = None
            if not content:
                problem = "the upload has no content"
            elif len(content) != upload.length:
                problem = f"files.getUploadURLExternal announced length {upload.length}, the upload has {len(content)}"
            if problem is not None:
                refused = validation.refusal([validation.Problem("/upload", problem, ref, "invalid_upload")])
                assert refused is not None
                self.note_invalid("upload", refused, {"file_id": file_id, "size": len(content)})
                return "invalid_upload"
            upload.content = content
            return None

    def _download(self, file_id: str) -> bytes | None:
        with self._lock:
            for uploaded in self._uploaded_files:
                if uploaded.file_id == file_id:
                    return uploaded.content
        return None


def _guess_mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
