"""entitle-core's lifecycle of a Microsoft Entra access package assignment request.

Every answer comes from the Rust core. Times are milliseconds since the Unix epoch (UTC).
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

ACTIONS: List[str]
"""Every action name, in lifecycle order: `process`, `resumeContinue`, ..., `cancel`."""

VERSION: str
"""The version of entitle-core."""

class EntitleError(Exception):
    """The base of the errors entitle raises."""

class Rejected(EntitleError):
    """The core refused an action. A rejected action changes nothing."""

    reason: str
    """`notAllowed`, `conditionNotMet`, `unauthorized`, `stage`, `assignment` or `notDeletable`."""
    details: Any
    """The core's fields for the reason, such as `{"status": "Delivered", "action": "cancel"}`."""

class InvalidInput(ValueError):
    """Input entitle does not know: an unknown status, action or principal, a malformed id."""

    reason: str
    """Such as `unknownStatus`, `unknownAction`, `malformedId`, `inconsistentRequest`."""
    details: Any
    """The core's fields for the reason."""

class RequestStatus:
    """The fine-grained status of a request."""

    @staticmethod
    def parse(text: str) -> "RequestStatus":
        """Parses a status in any ASCII case, with Graph's aliases (`Cancelled`, `Fulfilled`).

        Raises `InvalidInput` (reason `unknownStatus`) for anything else.
        """
    @staticmethod
    def all() -> List["RequestStatus"]:
        """Every status, in lifecycle order."""
    @property
    def name(self) -> str:
        """The wire name, such as `PendingApproval`."""
    @property
    def is_cancelable(self) -> bool:
        """Whether `cancel` is allowed from this status."""
    @property
    def is_terminal(self) -> bool:
        """Whether no action moves a request out of this status."""
    @property
    def is_completed(self) -> bool:
        """Whether processing ended."""
    @property
    def state(self) -> str:
        """The coarse state reported beside it, such as `pendingApproval`."""
    def __eq__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...

def is_cancelable(text: str) -> bool:
    """Whether a status string names a cancelable status; unknown text never does."""

class Caller:
    """Who asks, with the permissions, roles and approval stages resolved for them."""

    def __init__(
        self,
        principal: str,
        id: str,
        permissions: Sequence[str] = ...,
        roles: Sequence[str] = ...,
        approver_of: Sequence[int] = ...,
        escalation_approver_of: Sequence[int] = ...,
        on_behalf_of_target: bool = False,
    ) -> None:
        """`principal`: `workOrSchoolUser`, `personalAccount`, `application` or `system`;
        `permissions`: Graph claim names; `roles`: such as `catalogOwner`; stages count from 0."""
    @staticmethod
    def system() -> "Caller":
        """The service's own engine: policy evaluation, timers and delivery."""
    @staticmethod
    def from_dict(fields: Mapping[str, Any]) -> "Caller":
        """A caller spelled as in the conformance vectors (`approverOf`, `escalationApproverOf`, ...)."""
    @property
    def principal(self) -> str: ...
    @property
    def id(self) -> str: ...
    def __eq__(self, other: object) -> bool: ...

class Step:
    """An accepted action: the moved request, the deciding row, the authorizing rule."""

    @property
    def request(self) -> "Request": ...
    @property
    def status(self) -> RequestStatus: ...
    @property
    def from_status(self) -> RequestStatus: ...
    @property
    def row(self) -> int:
        """The index of the deciding row in `transitions()`."""
    @property
    def rule(self) -> Dict[str, Any]: ...
    @property
    def authority(self) -> Union[str, Dict[str, str]]:
        """Such as `"system"` or `{"ownRequest": "EntitlementMgmt-SubjectAccess.ReadWrite"}`."""

class Request:
    """An access package assignment request; immutable, `apply` returns the moved one."""

    @staticmethod
    def submit(
        id: str,
        requestor: str,
        now: int,
        *,
        approval_stages: Optional[int] = None,
        decision_timeout_ms: int = 1_209_600_000,
        escalate_after_ms: Optional[int] = None,
        callout_on_created: bool = False,
        starts_at: Optional[int] = None,
    ) -> "Request":
        """A `userAdd` request the requestor submitted for themselves at `now`: `Accepted`."""
    @staticmethod
    def from_json(value: Union[str, Mapping[str, Any]]) -> "Request":
        """A request from the core's JSON; raises `InvalidInput` if it is inconsistent."""
    def to_json(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> RequestStatus: ...
    @property
    def approval_stage(self) -> int: ...
    def apply(self, action: str, caller: Caller, now: int) -> Step:
        """Decides `action` by `caller` at `now`; raises `Rejected` with the core's reason."""
    def can_cancel(self, caller: Caller, now: int) -> bool:
        """Whether `caller` may cancel the request at `now`: what a Cancel button should show."""
    def authorize(self, action: str, caller: Caller) -> Union[str, Dict[str, str]]:
        """The rule that lets `caller` perform `action`, whatever the status; else `Rejected`."""
    def permitted_actions(self, caller: Caller, now: int) -> List[str]: ...
    def next_deadline(self) -> Optional[Dict[str, Any]]:
        """`{"at": ms, "action": name}` for the next timed action, or `None`."""
    def __eq__(self, other: object) -> bool: ...

def transitions() -> List[Dict[str, Any]]:
    """The transition table, one dict per row (`from`, `action`, `when`, `to`, `provenance`)."""

def authority_matrix() -> List[Dict[str, Any]]:
    """The authority matrix, one dict per operation, actor and (for actions and `delete`) status."""
