"""Drive an entitle server with the Microsoft Graph Python SDKs (v1.0 and beta).

Configuration comes from the environment:

    ENTITLE_BASE               server root, e.g. http://127.0.0.1:8080 (no trailing slash)
    ENTITLE_TOKEN              bearer token of the requestor
    ENTITLE_ACCESS_PACKAGE_ID  access package to request
    ENTITLE_POLICY_ID          assignment policy of that package; it must require approval
    ENTITLE_TARGET_ID          object id of the requestor
    ENTITLE_ADMIN_TOKEN        bearer token of an access package assignment manager
    ENTITLE_ADMIN_ID           object id of that manager
    ENTITLE_OTHER_ID           object id of another directory user
    ENTITLE_DIRECT_POLICY_ID   a policy of the package without approval
    ENTITLE_CALLOUT_POLICY_ID  a policy of the package with a custom extension at request creation
    ENTITLE_APP_TOKEN          bearer token of the custom extension's application

For each SDK the script creates an assignment request, reads it back, cancels it,
checks that a second cancel is refused with 409 requestNotCancelable, reads the
canceled request and finds it again through a filtered list (also with a parenthesised
filter). Then the manager requests the package on behalf of the other user (the target
named as an accessPackageSubject, the policy and package as objects) and reads the target
and the requestor back; the custom extension resumes a request waiting for it; and the
manager removes the other user's delivered assignment, found through the assignments
collection. It prints one line per step and exits 0 only if every step passed (1 on a
failed step, 2 on bad configuration).
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.request
import sys
import time
import warnings
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from azure.core.credentials import AccessToken
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)

import msgraph
import msgraph.graph_request_adapter
from msgraph.generated.identity_governance.entitlement_management.assignment_requests.assignment_requests_request_builder import (
    AssignmentRequestsRequestBuilder as V1AssignmentRequestsRequestBuilder,
)
from msgraph.generated.identity_governance.entitlement_management.assignment_requests.item.access_package_assignment_request_item_request_builder import (
    AccessPackageAssignmentRequestItemRequestBuilder as V1ItemRequestBuilder,
)
from msgraph.generated.identity_governance.entitlement_management.assignment_requests.item.resume.resume_post_request_body import (
    ResumePostRequestBody as V1ResumePostRequestBody,
)
from msgraph.generated.identity_governance.entitlement_management.assignments.assignments_request_builder import (
    AssignmentsRequestBuilder as V1AssignmentsRequestBuilder,
)
from msgraph.generated.models.access_package import AccessPackage as V1AccessPackage
from msgraph.generated.models.access_package_assignment import (
    AccessPackageAssignment as V1AccessPackageAssignment,
)
from msgraph.generated.models.access_package_assignment_policy import (
    AccessPackageAssignmentPolicy as V1AccessPackageAssignmentPolicy,
)
from msgraph.generated.models.access_package_assignment_request_callback_data import (
    AccessPackageAssignmentRequestCallbackData as V1CallbackData,
)
from msgraph.generated.models.access_package_custom_extension_stage import (
    AccessPackageCustomExtensionStage as V1Stage,
)
from msgraph.generated.models.access_package_subject import (
    AccessPackageSubject as V1AccessPackageSubject,
)
from msgraph.generated.models.access_package_assignment_request import (
    AccessPackageAssignmentRequest as V1AccessPackageAssignmentRequest,
)
from msgraph.generated.models.access_package_request_type import AccessPackageRequestType
from msgraph.generated.models.o_data_errors.o_data_error import ODataError as V1ODataError

import msgraph_beta
import msgraph_beta.graph_request_adapter
from msgraph_beta.generated.identity_governance.entitlement_management.assignment_requests.assignment_requests_request_builder import (
    AssignmentRequestsRequestBuilder as BetaAssignmentRequestsRequestBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.access_package_assignments.access_package_assignments_request_builder import (
    AccessPackageAssignmentsRequestBuilder as BetaAssignmentsRequestBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.assignment_requests.item.access_package_assignment_request_item_request_builder import (
    AccessPackageAssignmentRequestItemRequestBuilder as BetaItemRequestBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.assignment_requests.item.resume.resume_post_request_body import (
    ResumePostRequestBody as BetaResumePostRequestBody,
)
from msgraph_beta.generated.models.access_package_assignment import (
    AccessPackageAssignment as BetaAccessPackageAssignment,
)
from msgraph_beta.generated.models.access_package_assignment_request_callback_data import (
    AccessPackageAssignmentRequestCallbackData as BetaCallbackData,
)
from msgraph_beta.generated.models.access_package_custom_extension_stage import (
    AccessPackageCustomExtensionStage as BetaStage,
)
from msgraph_beta.generated.models.access_package_subject import (
    AccessPackageSubject as BetaAccessPackageSubject,
)
from msgraph_beta.generated.models.access_package_assignment_request import (
    AccessPackageAssignmentRequest as BetaAccessPackageAssignmentRequest,
)
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError as BetaODataError

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"msgraph_beta\.")

PENDING_STATUSES = ("Accepted", "PendingApproval")
NOT_CANCELABLE = "requestNotCancelable"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Config:
    base: str
    token: str
    access_package_id: str
    policy_id: str
    target_id: str
    admin_token: str
    admin_id: str
    other_id: str
    direct_policy_id: str
    callout_policy_id: str
    app_token: str

    @staticmethod
    def from_env() -> Config:
        names = {
            "base": "ENTITLE_BASE",
            "token": "ENTITLE_TOKEN",
            "access_package_id": "ENTITLE_ACCESS_PACKAGE_ID",
            "policy_id": "ENTITLE_POLICY_ID",
            "target_id": "ENTITLE_TARGET_ID",
            "admin_token": "ENTITLE_ADMIN_TOKEN",
            "admin_id": "ENTITLE_ADMIN_ID",
            "other_id": "ENTITLE_OTHER_ID",
            "direct_policy_id": "ENTITLE_DIRECT_POLICY_ID",
            "callout_policy_id": "ENTITLE_CALLOUT_POLICY_ID",
            "app_token": "ENTITLE_APP_TOKEN",
        }
        return Config(**read_env(names))


def read_env(names: dict[str, str]) -> dict[str, str]:
    """The value of each field's environment variable (`base` without a trailing slash)."""
    values = {field: os.environ.get(var, "").strip() for field, var in names.items()}
    missing = [names[field] for field, value in values.items() if not value]
    if missing:
        raise ConfigError(f"missing environment variables: {', '.join(missing)}")
    values["base"] = values["base"].rstrip("/")
    return values


class StaticTokenCredential:
    """A TokenCredential that always hands out the same bearer token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, int(time.time()) + 3600)


class StepFailed(Exception):
    pass


def expect(condition: bool, expected: str, received: Any) -> None:
    if not condition:
        raise StepFailed(f"expected {expected}, received {received!r}")


def describe_error(error: APIError) -> str:
    main_error = getattr(error, "error", None)
    if main_error is not None:
        return f"HTTP {error.response_status_code} code={main_error.code!r} message={main_error.message!r}"
    return f"HTTP {error.response_status_code} without a Graph error body: {error.message}"


async def expect_not_cancelable(cancel: Callable[[], Awaitable[None]], odata_error: type) -> str:
    try:
        await cancel()
    except odata_error as error:
        code = error.error.code if error.error else None
        expect(
            error.response_status_code == 409 and code == NOT_CANCELABLE,
            f"ODataError 409 {NOT_CANCELABLE}",
            f"ODataError {error.response_status_code} {code}",
        )
        return code
    raise StepFailed(f"expected ODataError 409 {NOT_CANCELABLE}, received success")


def same_text(left: str | None, right: str) -> bool:
    return left is not None and left.casefold() == right.casefold()


class Run:
    """Runs named steps for one SDK and stops at the first failure."""

    def __init__(self, label: str) -> None:
        self.label = label

    async def step(self, name: str, action: Callable[[], Awaitable[str]]) -> None:
        try:
            detail = await action()
        except StepFailed as failure:
            print(f"{self.label} {name} FAILED: {failure}")
            raise
        except APIError as error:
            print(f"{self.label} {name} FAILED: unexpected error {describe_error(error)}")
            raise StepFailed(str(error)) from error
        except Exception as error:
            print(f"{self.label} {name} FAILED: {type(error).__name__}: {error}")
            raise StepFailed(str(error)) from error
        print(f"{self.label} {name} ok {detail}".rstrip())


async def refused(call: Callable[[], Awaitable[Any]], status: int) -> str:
    """Calls `call`, expecting Graph's error envelope with `status`; the status and code."""
    try:
        await call()
    except APIError as error:
        detail = getattr(error, "error", None)
        code = detail.code if detail else None
        expect(error.response_status_code == status, f"ODataError {status}", f"{error.response_status_code} {code}")
        return f"status={status} code={code}"
    raise StepFailed(f"expected ODataError {status}, received success")


async def run_scenarios(read_config: Callable[[], Any], scenarios: tuple) -> int:
    """Runs each `(label, scenario)` with the configuration `read_config` reads: 0 when every step
    passed, 1 on a failed step, 2 on bad configuration."""
    try:
        config = read_config()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    failed = []
    for label, scenario in scenarios:
        try:
            await scenario(config)
        except StepFailed:
            failed.append(label)
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    print("all steps passed")
    return 0


def deliver(config: Config, request_id: str) -> None:
    """Delivers a request through entitle's control API (what Entra does on its own)."""
    request = urllib.request.Request(
        f"{config.base}/_entitle/requests/{request_id}/events",
        data=json.dumps({"action": "deliver"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        expect(response.status == 200, "the control API delivers", response.status)


def graph_service_client(sdk: Any, base_url: str, token: str) -> Any:
    """A GraphServiceClient of `sdk` (msgraph or msgraph_beta) aimed at `base_url`."""
    auth = AzureIdentityAuthenticationProvider(StaticTokenCredential(token))
    adapter = sdk.graph_request_adapter.GraphRequestAdapter(auth)
    adapter.base_url = base_url
    return sdk.GraphServiceClient(request_adapter=adapter)


async def run_v1(config: Config) -> None:
    client = graph_service_client(msgraph, f"{config.base}/v1.0", config.token)
    requests = client.identity_governance.entitlement_management.assignment_requests
    run = Run("v1.0")
    rid = ""

    async def create() -> str:
        nonlocal rid
        # The v1.0 accessPackageAssignment model has no targetId, assignmentPolicyId or
        # accessPackageId properties, so they travel as additional data (sent verbatim).
        body = V1AccessPackageAssignmentRequest(
            request_type=AccessPackageRequestType.UserAdd,
            assignment=V1AccessPackageAssignment(
                additional_data={
                    "targetId": config.target_id,
                    "assignmentPolicyId": config.policy_id,
                    "accessPackageId": config.access_package_id,
                },
            ),
        )
        created = await requests.post(body)
        expect(created is not None and bool(created.id), "a created request with an id", created)
        rid = created.id
        return f"id={rid}"

    async def get_pending() -> str:
        got = await requests.by_access_package_assignment_request_id(rid).get()
        expect(got is not None and got.id == rid, f"id {rid}", got and got.id)
        expect(got.status in PENDING_STATUSES, f"status in {PENDING_STATUSES}", got.status)
        return f"id={rid} status={got.status} state={got.state and got.state.value}"

    async def cancel() -> str:
        await requests.by_access_package_assignment_request_id(rid).cancel.post()
        return f"id={rid}"

    async def cancel_again() -> str:
        code = await expect_not_cancelable(
            requests.by_access_package_assignment_request_id(rid).cancel.post, V1ODataError
        )
        return f"status=409 code={code}"

    async def get_canceled() -> str:
        got = await requests.by_access_package_assignment_request_id(rid).get()
        expect(got is not None and got.id == rid, f"id {rid}", got and got.id)
        expect(same_text(got.status, "Canceled"), "status Canceled", got.status)
        state = got.state.value if got.state else None
        expect(same_text(state, "canceled"), "state canceled", state)
        return f"status={got.status} state={state}"

    async def list_canceled() -> str:
        query = V1AssignmentRequestsRequestBuilder.AssignmentRequestsRequestBuilderGetQueryParameters(
            filter="status eq 'Canceled'"
        )
        page = await requests.get(RequestConfiguration(query_parameters=query))
        ids = [item.id for item in (page.value or [])] if page else []
        expect(rid in ids, f"{rid} among the canceled requests", ids)
        return f"count={len(ids)}"

    async def list_parenthesised() -> str:
        query = V1AssignmentRequestsRequestBuilder.AssignmentRequestsRequestBuilderGetQueryParameters(
            filter="(status eq 'Canceled') or (status eq 'Denied' and requestType eq 'userAdd')"
        )
        page = await requests.get(RequestConfiguration(query_parameters=query))
        ids = [item.id for item in (page.value or [])] if page else []
        expect(rid in ids, f"{rid} in the parenthesised filter's answer", ids)
        return f"count={len(ids)}"

    admin = graph_service_client(msgraph, f"{config.base}/v1.0", config.admin_token)
    admin_requests = admin.identity_governance.entitlement_management.assignment_requests
    on_behalf = ""

    async def create_on_behalf() -> str:
        nonlocal on_behalf
        body = V1AccessPackageAssignmentRequest(
            request_type=AccessPackageRequestType.AdminAdd,
            assignment=V1AccessPackageAssignment(
                target=V1AccessPackageSubject(object_id=config.other_id),
                assignment_policy=V1AccessPackageAssignmentPolicy(id=config.direct_policy_id),
                access_package=V1AccessPackage(id=config.access_package_id),
            ),
        )
        created = await admin_requests.post(body)
        expect(created is not None and bool(created.id), "a created request", created)
        on_behalf = created.id
        query = V1ItemRequestBuilder.AccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters(
            expand=["assignment($expand=target)", "requestor"]
        )
        got = await admin_requests.by_access_package_assignment_request_id(on_behalf).get(
            RequestConfiguration(query_parameters=query)
        )
        target = got.assignment.target.object_id if got.assignment and got.assignment.target else None
        expect(target == config.other_id, f"target {config.other_id}", target)
        return f"id={on_behalf} target={target}"

    async def expand_requestor() -> str:
        query = V1ItemRequestBuilder.AccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters(
            expand=["requestor"]
        )
        got = await admin_requests.by_access_package_assignment_request_id(on_behalf).get(
            RequestConfiguration(query_parameters=query)
        )
        object_id = got.requestor.object_id if got.requestor else None
        expect(object_id == config.admin_id, f"requestor.object_id {config.admin_id}", object_id)
        return f"object_id={object_id}"

    async def resume() -> str:
        waiting = await requests.post(
            V1AccessPackageAssignmentRequest(
                request_type=AccessPackageRequestType.UserAdd,
                assignment=V1AccessPackageAssignment(
                    additional_data={
                        "targetId": config.target_id,
                        "assignmentPolicyId": config.callout_policy_id,
                    },
                ),
            )
        )
        app = graph_service_client(msgraph, f"{config.base}/v1.0", config.app_token)
        await app.identity_governance.entitlement_management.assignment_requests.by_access_package_assignment_request_id(
            waiting.id
        ).resume.post(
            V1ResumePostRequestBody(
                source="Contoso.Check",
                type="microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated",
                data=V1CallbackData(
                    stage=V1Stage.AssignmentRequestCreated,
                    custom_extension_stage_instance_id="00000000-0000-4000-8000-0000000e0001",
                ),
            )
        )
        got = await admin_requests.by_access_package_assignment_request_id(waiting.id).get()
        expect(got.status == "Delivering", "status Delivering after the callback", got.status)
        return f"id={waiting.id} status={got.status}"

    async def admin_remove() -> str:
        deliver(config, on_behalf)
        query = V1AssignmentsRequestBuilder.AssignmentsRequestBuilderGetQueryParameters(
            filter=f"target/objectId eq '{config.other_id}' and state eq 'delivered'"
        )
        page = await admin.identity_governance.entitlement_management.assignments.get(
            RequestConfiguration(query_parameters=query)
        )
        found = [item.id for item in (page.value or [])] if page else []
        expect(len(found) == 1, "one delivered assignment of the other user", found)
        removal = await admin_requests.post(
            V1AccessPackageAssignmentRequest(
                request_type=AccessPackageRequestType.AdminRemove,
                assignment=V1AccessPackageAssignment(id=found[0]),
            )
        )
        expect(removal is not None and bool(removal.id), "a removal request", removal)
        deliver(config, removal.id)
        ended = await admin.identity_governance.entitlement_management.assignments.by_access_package_assignment_id(
            found[0]
        ).get()
        state = ended.state.value if ended and ended.state else None
        expect(state == "expired", "the removed assignment expired", state)
        return f"assignment={found[0]} removal={removal.id} state={state}"

    await run.step("create", create)
    await run.step("get", get_pending)
    await run.step("cancel", cancel)
    await run.step("cancel-again", cancel_again)
    await run.step("get-canceled", get_canceled)
    await run.step("list-filter", list_canceled)
    await run.step("list-parenthesised", list_parenthesised)
    await run.step("create-on-behalf", create_on_behalf)
    await run.step("expand-requestor", expand_requestor)
    await run.step("resume", resume)
    await run.step("admin-remove", admin_remove)


async def run_beta(config: Config) -> None:
    client = graph_service_client(msgraph_beta, f"{config.base}/beta", config.token)
    management = client.identity_governance.entitlement_management
    requests = management.assignment_requests
    retiring_requests = management.access_package_assignment_requests
    run = Run("beta")
    rid = ""

    async def create() -> str:
        nonlocal rid
        body = BetaAccessPackageAssignmentRequest(
            request_type="UserAdd",
            access_package_assignment=BetaAccessPackageAssignment(
                target_id=config.target_id,
                assignment_policy_id=config.policy_id,
                access_package_id=config.access_package_id,
            ),
        )
        created = await requests.post(body)
        expect(created is not None and bool(created.id), "a created request with an id", created)
        rid = created.id
        return f"id={rid}"

    async def get_pending() -> str:
        got = await requests.by_access_package_assignment_request_id(rid).get()
        expect(got is not None and got.id == rid, f"id {rid}", got and got.id)
        expect(
            got.request_status in PENDING_STATUSES,
            f"requestStatus in {PENDING_STATUSES}",
            got.request_status,
        )
        return f"id={rid} status={got.request_status} state={got.request_state}"

    async def cancel() -> str:
        await retiring_requests.by_access_package_assignment_request_id(rid).cancel.post()
        return f"id={rid} path=accessPackageAssignmentRequests"

    async def cancel_again() -> str:
        code = await expect_not_cancelable(
            requests.by_access_package_assignment_request_id(rid).cancel.post, BetaODataError
        )
        return f"status=409 code={code}"

    async def get_canceled() -> str:
        got = await requests.by_access_package_assignment_request_id(rid).get()
        expect(got is not None and got.id == rid, f"id {rid}", got and got.id)
        expect(same_text(got.request_status, "Canceled"), "requestStatus Canceled", got.request_status)
        expect(same_text(got.request_state, "canceled"), "requestState canceled", got.request_state)
        return f"status={got.request_status} state={got.request_state}"

    async def list_canceled() -> str:
        query = BetaAssignmentRequestsRequestBuilder.AssignmentRequestsRequestBuilderGetQueryParameters(
            filter="requestStatus eq 'Canceled'"
        )
        page = await requests.get(RequestConfiguration(query_parameters=query))
        ids = [item.id for item in (page.value or [])] if page else []
        expect(rid in ids, f"{rid} among the canceled requests", ids)
        return f"count={len(ids)}"

    async def list_parenthesised() -> str:
        query = BetaAssignmentRequestsRequestBuilder.AssignmentRequestsRequestBuilderGetQueryParameters(
            filter="(requestStatus eq 'Canceled') or (requestState eq 'Denied')"
        )
        page = await requests.get(RequestConfiguration(query_parameters=query))
        ids = [item.id for item in (page.value or [])] if page else []
        expect(rid in ids, f"{rid} in the parenthesised filter's answer", ids)
        return f"count={len(ids)}"

    admin = graph_service_client(msgraph_beta, f"{config.base}/beta", config.admin_token)
    admin_management = admin.identity_governance.entitlement_management
    admin_requests = admin_management.assignment_requests
    on_behalf = ""

    async def create_on_behalf() -> str:
        nonlocal on_behalf
        body = BetaAccessPackageAssignmentRequest(
            request_type="AdminAdd",
            access_package_assignment=BetaAccessPackageAssignment(
                target=BetaAccessPackageSubject(object_id=config.other_id),
                assignment_policy_id=config.direct_policy_id,
                access_package_id=config.access_package_id,
            ),
        )
        created = await admin_requests.post(body)
        expect(created is not None and bool(created.id), "a created request", created)
        on_behalf = created.id
        query = BetaItemRequestBuilder.AccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters(
            expand=["accessPackageAssignment"]
        )
        got = await admin_requests.by_access_package_assignment_request_id(on_behalf).get(
            RequestConfiguration(query_parameters=query)
        )
        assignment = got.access_package_assignment
        target = assignment.target_id if assignment else None
        expect(target == config.other_id, f"targetId {config.other_id}", target)
        return f"id={on_behalf} targetId={target}"

    async def expand_requestor() -> str:
        query = BetaItemRequestBuilder.AccessPackageAssignmentRequestItemRequestBuilderGetQueryParameters(
            expand=["requestor"]
        )
        got = await admin_requests.by_access_package_assignment_request_id(on_behalf).get(
            RequestConfiguration(query_parameters=query)
        )
        object_id = got.requestor.object_id if got.requestor else None
        expect(object_id == config.admin_id, f"requestor.object_id {config.admin_id}", object_id)
        return f"object_id={object_id}"

    async def resume() -> str:
        waiting = await requests.post(
            BetaAccessPackageAssignmentRequest(
                request_type="UserAdd",
                access_package_assignment=BetaAccessPackageAssignment(
                    target_id=config.target_id,
                    assignment_policy_id=config.callout_policy_id,
                ),
            )
        )
        app = graph_service_client(msgraph_beta, f"{config.base}/beta", config.app_token)
        await app.identity_governance.entitlement_management.assignment_requests.by_access_package_assignment_request_id(
            waiting.id
        ).resume.post(
            BetaResumePostRequestBody(
                source="Contoso.Check",
                type="microsoft.graph.accessPackageCustomExtensionStage.assignmentRequestCreated",
                data=BetaCallbackData(
                    stage=BetaStage.AssignmentRequestCreated,
                    state="denied",
                    custom_extension_stage_instance_id="00000000-0000-4000-8000-0000000e0002",
                ),
            )
        )
        got = await admin_requests.by_access_package_assignment_request_id(waiting.id).get()
        expect(got.request_status == "Denied", "requestStatus Denied after the callback", got.request_status)
        return f"id={waiting.id} status={got.request_status}"

    async def admin_remove() -> str:
        deliver(config, on_behalf)
        query = BetaAssignmentsRequestBuilder.AccessPackageAssignmentsRequestBuilderGetQueryParameters(
            filter=f"targetId eq '{config.other_id}' and assignmentState eq 'Delivered'"
        )
        page = await admin_management.access_package_assignments.get(
            RequestConfiguration(query_parameters=query)
        )
        found = [item.id for item in (page.value or [])] if page else []
        expect(len(found) == 1, "one delivered assignment of the other user", found)
        removal = await admin_requests.post(
            BetaAccessPackageAssignmentRequest(
                request_type="AdminRemove",
                access_package_assignment=BetaAccessPackageAssignment(id=found[0]),
            )
        )
        expect(removal is not None and bool(removal.id), "a removal request", removal)
        return f"assignment={found[0]} removal={removal.id}"

    await run.step("create", create)
    await run.step("get", get_pending)
    await run.step("cancel", cancel)
    await run.step("cancel-again", cancel_again)
    await run.step("get-canceled", get_canceled)
    await run.step("list-filter", list_canceled)
    await run.step("list-parenthesised", list_parenthesised)
    await run.step("create-on-behalf", create_on_behalf)
    await run.step("expand-requestor", expand_requestor)
    await run.step("resume", resume)
    await run.step("admin-remove", admin_remove)


async def main() -> int:
    return await run_scenarios(Config.from_env, (("v1.0", run_v1), ("beta", run_beta)))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
