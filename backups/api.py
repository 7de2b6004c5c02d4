"""Backups over HTTP (R-10.1, R-13.2, R-16.6): the backups and the check records for Sở Nội vụ and the inspectors; starting a
backup or a verification for the officers of Sở Nội vụ in charge. Both run in the background."""

import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from common.api import DbId, ErrorOut, Pagination

from . import services
from .models import Backup, BackupCheck

router = Router(tags=["backups"])


class BackupOut(Schema):
    id: int
    file_name: str
    kind: str = Field(description="daily, weekly or monthly; empty while waiting for the worker, which chooses it")
    state: Backup.State
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    size: int = Field(description="bytes of the encrypted file")
    sha256: str = Field(description="of the encrypted file")
    key_id: str
    error: str
    verification: str = Field(description="ok, failed, or empty when not verified yet")
    verified_at: datetime.datetime | None
    verification_message: str


class BackupDetailOut(BackupOut):
    manifest: dict = Field(description="tables with their row counts and content hashes, the documents' count and hash, the storage check")


class BackupStartIn(Schema):
    kind: Backup.Kind | None = Field(None, description="by default the month's first backup is monthly, the week's first weekly")


class BackupCheckOut(Schema):
    id: int
    checked_at: datetime.datetime
    checked_by_id: int | None = Field(description="empty: the scheduler")
    kind: BackupCheck.Kind
    backup_id: int | None
    subject: str
    result: BackupCheck.Result
    message: str


@router.get("/backups", response={200: list[BackupOut], 403: ErrorOut}, summary="Backups, newest first")
@paginate(Pagination)
def list_backups(request, state: Backup.State | None = None):
    services.require_viewer(request.user)
    backups = Backup.objects.all()
    return backups.filter(state=state) if state else backups


@router.get("/backups/checks", response={200: list[BackupCheckOut], 403: ErrorOut},
            summary="The check records of the backups and the storage, newest first (R-16.6)")
@paginate(Pagination)
def list_checks(request, backup_id: DbId | None = None):
    services.require_viewer(request.user)
    checks = BackupCheck.objects.all()
    return checks.filter(backup_id=backup_id) if backup_id else checks


@router.get("/backups/{backup_id}", response={200: BackupDetailOut, 403: ErrorOut, 404: ErrorOut}, summary="A backup with its manifest")
def get_backup(request, backup_id: DbId):
    services.require_viewer(request.user)
    return get_object_or_404(Backup, pk=backup_id)


@router.post("/backups", response={202: BackupOut, 400: ErrorOut, 403: ErrorOut},
             summary="Back up now, in the background, then verify (Sở Nội vụ)")
def start_backup(request, payload: BackupStartIn):
    return Status(202, services.start_backup(request.user, payload.kind, request=request))


@router.post("/backups/{backup_id}/verify", response={202: BackupOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
             summary="Verify a backup again by restoring it into a scratch database, in the background (Sở Nội vụ)")
def verify_backup(request, backup_id: DbId):
    services.require_operator(request.user, "backups.verify", request)
    return Status(202, services.request_verification(request.user, get_object_or_404(Backup, pk=backup_id), request=request))
