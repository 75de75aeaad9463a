"""The article's images in WordPress's media library: uploaded once (a lost answer is found
again by the media item's slug) and attached to the post they were uploaded for."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from core.config import get_settings
from core.db import session_scope
from core.errors import ValidationError
from integrations.storage import Storage, StorageNotFoundError, content_type_for, storage_for
from integrations.wordpress.client import WordPressClient
from models import Content, Image
from services import wp_markup

if TYPE_CHECKING:
    from services.publishing import PublishOutcome

Heartbeat = Callable[[str], None]


def upload_images(
    client: WordPressClient,
    content: Content,
    images: list[Image],
    out: PublishOutcome,
    beat: Heartbeat,
) -> None:
    """Upload the images WordPress does not have yet (found by slug after a lost answer);
    each media id is committed the moment WordPress answers."""
    storage = storage_for(get_settings())
    for n, image in enumerate(images, 1):
        if image.external_media_id:
            out.media_reused += 1
            continue
        if not image.file_path:
            out.skipped_images.append(image.id or 0)  # no file yet: nothing to upload
            continue
        beat(f"Uploading image {n}/{len(images)}")
        slug = wp_markup.media_slug(content, image)
        media = client.find_media_by_slug(slug)
        if media is None:
            suffix = PurePosixPath(image.file_path).suffix or ".png"
            media = client.upload_media(
                wp_markup.media_filename(content, image, suffix),
                _stored_file(storage, content, image),
                alt_text=image.alt_text,
                slug=slug,
                title=image.alt_text or content.title,
                mime_type=content_type_for(image.file_path),
            )
            out.media_uploaded += 1
        else:
            out.media_reused += 1
        image.external_media_id = int(media["id"])
        image.external_url = str(media.get("source_url") or "")
        with session_scope() as session:  # the media id is ours from now on, whatever happens
            row = session.get(Image, image.id)
            if row is not None:
                row.external_media_id, row.external_url = (
                    image.external_media_id,
                    image.external_url,
                )


def _stored_file(storage: Storage, content: Content, image: Image) -> bytes:
    """The image's bytes from storage; a file that is gone fails the article with its name."""
    try:
        return storage.get(image.file_path or "")
    except StorageNotFoundError:
        msg = f"Image {image.id} of content {content.id}: {image.file_path} is missing from storage"
        raise ValidationError(msg) from None


def attach_media(
    client: WordPressClient, post_id: int, images: list[Image], beat: Heartbeat
) -> int:
    """Make the post the parent of each of its media items not attached yet; returns how many.
    Asked of WordPress each time, so a retry (or a detached item) is simply done again."""
    media_ids = list(dict.fromkeys(i.external_media_id for i in images if i.external_media_id))
    if not media_ids:
        return 0
    beat(f"Attaching {len(media_ids)} media items to post {post_id}")
    attached = client.attached_media_ids(post_id)
    todo = [media_id for media_id in media_ids if media_id not in attached]
    for media_id in todo:
        client.attach_media(media_id, post_id)
    return len(todo)
