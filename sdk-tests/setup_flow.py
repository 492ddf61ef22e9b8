"""A test suite sets up its own fixtures with the Microsoft Graph Python SDKs, as it would against
Microsoft Graph, on an entitle server serving `sdk-tests/tenant.json`:

v1.0 (`msgraph-sdk`): an application creates a catalog, an access package in it and an assignment
policy whose one stage is a group's members; a user requests the package under that policy and the
group's member approves; the package is renamed; its delete is refused while its assignment is
active; the policy is replaced by one that admits no one, and the user's next request is refused; an
empty catalog is created and deleted.

beta (`msgraph-beta-sdk`, beta's shapes): the application creates a catalog, a package in it
(`catalogId`) and a policy (`accessPackageId`, `scopeType`, `durationInDays`), renames the package,
and deletes the policy, the package and the catalog.

Configuration comes from the environment:

    ENTITLE_BASE             server root, e.g. http://127.0.0.1:8080
    ENTITLE_ADMIN_TOKEN      an application's token with EntitlementManagement.ReadWrite.All
    ENTITLE_REQUESTOR_TOKEN  the requestor's token (EntitlementMgmt-SubjectAccess.ReadWrite)
    ENTITLE_REQUESTOR_ID     the requestor's object id
    ENTITLE_MEMBER_TOKEN     a member of the approver group (EntitlementManagement.ReadWrite.All)
    ENTITLE_GROUP_ID         the approver group's id

It prints one line per step and exits 0 only if every step passed (1 on a failed step, 2 on bad
configuration).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

import msgraph
from msgraph.generated.models.access_package import AccessPackage
from msgraph.generated.models.access_package_approval_stage import AccessPackageApprovalStage
from msgraph.generated.models.access_package_assignment import AccessPackageAssignment
from msgraph.generated.models.access_package_assignment_approval_settings import (
    AccessPackageAssignmentApprovalSettings,
)
from msgraph.generated.models.access_package_assignment_policy import AccessPackageAssignmentPolicy
from msgraph.generated.models.access_package_assignment_request import (
    AccessPackageAssignmentRequest,
)
from msgraph.generated.models.access_package_assignment_requestor_settings import (
    AccessPackageAssignmentRequestorSettings,
)
from msgraph.generated.models.access_package_catalog import AccessPackageCatalog
from msgraph.generated.models.access_package_request_type import AccessPackageRequestType
from msgraph.generated.models.allowed_target_scope import AllowedTargetScope
from msgraph.generated.models.approval_stage import ApprovalStage
from msgraph.generated.models.group_members import GroupMembers

import msgraph_beta
from msgraph_beta.generated.models.access_package import AccessPackage as BetaAccessPackage
from msgraph_beta.generated.models.access_package_assignment_policy import (
    AccessPackageAssignmentPolicy as BetaAccessPackageAssignmentPolicy,
)
from msgraph_beta.generated.models.access_package_catalog import (
    AccessPackageCatalog as BetaAccessPackageCatalog,
)
from msgraph_beta.generated.models.approval_settings import ApprovalSettings as BetaApprovalSettings
from msgraph_beta.generated.models.requestor_settings import RequestorSettings as BetaRequestorSettings

from graph_client import Run, expect, graph_service_client, read_env, refused, run_scenarios


@dataclass(frozen=True)
class Config:
    base: str
    admin_token: str
    requestor_token: str
    requestor_id: str
    member_token: str
    group_id: str

    @staticmethod
    def from_env() -> Config:
        fields = {
            "base": "ENTITLE_BASE",
            "admin_token": "ENTITLE_ADMIN_TOKEN",
            "requestor_token": "ENTITLE_REQUESTOR_TOKEN",
            "requestor_id": "ENTITLE_REQUESTOR_ID",
            "member_token": "ENTITLE_MEMBER_TOKEN",
            "group_id": "ENTITLE_GROUP_ID",
        }
        return Config(**read_env(fields))


def management(config: Config, token: str, sdk=msgraph, version: str = "v1.0"):
    client = graph_service_client(sdk, f"{config.base}/{version}", token)
    return client.identity_governance.entitlement_management


def group_stage(config: Config) -> AccessPackageAssignmentApprovalSettings:
    return AccessPackageAssignmentApprovalSettings(
        is_approval_required_for_add=True,
        stages=[
            # No `duration_before_automatic_denial`: the SDK writes a `timedelta` as Python prints
            # it (`7 days, 0:00:00`), not as the ISO 8601 duration Graph's schema defines.
            AccessPackageApprovalStage(primary_approvers=[GroupMembers(group_id=config.group_id)])
        ],
    )


async def run_v1(config: Config) -> None:
    run = Run("v1.0")
    admin = management(config, config.admin_token)
    requestor = management(config, config.requestor_token)
    state: dict[str, str] = {}

    async def create_catalog() -> str:
        catalog = await admin.catalogs.post(
            AccessPackageCatalog(display_name="Fixtures", description="Made by the test suite.")
        )
        expect(catalog is not None and bool(catalog.id), "a created catalog", catalog)
        state["catalog"] = catalog.id
        return f"id={catalog.id} state={catalog.state}"

    async def create_package() -> str:
        package = await admin.access_packages.post(
            AccessPackage(display_name="Fixture package", catalog=AccessPackageCatalog(id=state["catalog"]))
        )
        expect(package is not None and bool(package.id), "a created access package", package)
        state["package"] = package.id
        return f"id={package.id}"

    async def create_policy() -> str:
        policy = await admin.assignment_policies.post(
            AccessPackageAssignmentPolicy(
                display_name="The group decides",
                allowed_target_scope=AllowedTargetScope.AllMemberUsers,
                access_package=AccessPackage(id=state["package"]),
                requestor_settings=AccessPackageAssignmentRequestorSettings(enable_targets_to_self_add_access=True),
                request_approval_settings=group_stage(config),
            )
        )
        expect(policy is not None and bool(policy.id), "a created policy", policy)
        state["policy"] = policy.id
        read = await admin.assignment_policies.by_access_package_assignment_policy_id(policy.id).get()
        approvers = read.request_approval_settings.stages[0].primary_approvers
        expect(isinstance(approvers[0], GroupMembers), "the group's members approve", approvers)
        return f"id={policy.id}"

    def request_body() -> AccessPackageAssignmentRequest:
        return AccessPackageAssignmentRequest(
            request_type=AccessPackageRequestType.UserAdd,
            assignment=AccessPackageAssignment(
                additional_data={
                    "targetId": config.requestor_id,
                    "assignmentPolicyId": state["policy"],
                    "accessPackageId": state["package"],
                }
            ),
        )

    async def request() -> str:
        created = await requestor.assignment_requests.post(request_body())
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(created.id).get()
        expect(got.status == "PendingApproval", "PendingApproval under the new policy", got.status)
        state["request"] = created.id
        return f"id={created.id} status={got.status}"

    async def approve_as_member() -> str:
        member = management(config, config.member_token)
        stages = member.access_package_assignment_approvals.by_approval_id(state["request"]).stages
        page = await stages.get()
        stage = (page.value or [None])[0]
        expect(stage is not None and stage.assigned_to_me is True, "the stage assigned to the group's member", stage)
        await stages.by_approval_stage_id(stage.id).patch(
            ApprovalStage(review_result="Approve", justification="set up for the suite")
        )
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state["request"]).get()
        expect(got.status == "Delivering", "Delivering once approved", got.status)
        return f"status={got.status}"

    async def rename_package() -> str:
        package = admin.access_packages.by_access_package_id(state["package"])
        await package.patch(AccessPackage(display_name="Fixture package (renamed)"))
        read = await package.get()
        expect(read.display_name == "Fixture package (renamed)", "the new name", read.display_name)
        return f"displayName={read.display_name}"

    async def delete_refused() -> str:
        package = admin.access_packages.by_access_package_id(state["package"])
        return await refused(package.delete, 409)

    async def replace_policy() -> str:
        policy = admin.assignment_policies.by_access_package_assignment_policy_id(state["policy"])
        replaced = await policy.put(
            AccessPackageAssignmentPolicy(
                display_name="Direct assignment only",
                allowed_target_scope=AllowedTargetScope.NotSpecified,
                access_package=AccessPackage(id=state["package"]),
            )
        )
        expect(replaced.display_name == "Direct assignment only", "the replaced policy", replaced.display_name)
        outcome = await refused(lambda: requestor.assignment_requests.post(request_body()), 403)
        return f"next request {outcome}"

    async def delete_empty_catalog() -> str:
        catalog = await admin.catalogs.post(AccessPackageCatalog(display_name="Scratch"))
        await admin.catalogs.by_access_package_catalog_id(catalog.id).delete()
        outcome = await refused(admin.catalogs.by_access_package_catalog_id(catalog.id).get, 404)
        return f"read after delete {outcome}"

    await run.step("create-catalog", create_catalog)
    await run.step("create-package", create_package)
    await run.step("create-policy", create_policy)
    await run.step("request", request)
    await run.step("approve-as-group-member", approve_as_member)
    await run.step("rename-package", rename_package)
    await run.step("delete-refused", delete_refused)
    await run.step("replace-policy", replace_policy)
    await run.step("delete-empty-catalog", delete_empty_catalog)


async def run_beta(config: Config) -> None:
    run = Run("beta")
    admin = management(config, config.admin_token, msgraph_beta, "beta")
    state: dict[str, str] = {}

    async def create_catalog() -> str:
        catalog = await admin.access_package_catalogs.post(BetaAccessPackageCatalog(display_name="Beta fixtures"))
        expect(catalog is not None and bool(catalog.id), "a created catalog", catalog)
        state["catalog"] = catalog.id
        return f"id={catalog.id} catalogStatus={catalog.catalog_status}"

    async def create_package() -> str:
        package = await admin.access_packages.post(
            BetaAccessPackage(display_name="Beta package", catalog_id=state["catalog"])
        )
        expect(package.catalog_id == state["catalog"], "beta's catalogId", package.catalog_id)
        state["package"] = package.id
        return f"id={package.id}"

    async def create_policy() -> str:
        policy = await admin.access_package_assignment_policies.post(
            BetaAccessPackageAssignmentPolicy(
                access_package_id=state["package"],
                display_name="Members ask, no approval",
                duration_in_days=30,
                requestor_settings=BetaRequestorSettings(
                    scope_type="AllExistingDirectoryMemberUsers", accept_requests=True
                ),
                request_approval_settings=BetaApprovalSettings(
                    is_approval_required=False, approval_mode="NoApproval", approval_stages=[]
                ),
            )
        )
        expect(policy.access_package_id == state["package"], "beta's accessPackageId", policy.access_package_id)
        expect(policy.duration_in_days == 30, "30 days", policy.duration_in_days)
        scope = policy.requestor_settings.scope_type if policy.requestor_settings else None
        expect(scope == "AllExistingDirectoryMemberUsers", "the scope as sent", scope)
        state["policy"] = policy.id
        return f"id={policy.id} scopeType={scope}"

    async def rename_package() -> str:
        package = admin.access_packages.by_access_package_id(state["package"])
        await package.patch(BetaAccessPackage(display_name="Beta package (renamed)"))
        read = await package.get()
        expect(read.display_name == "Beta package (renamed)", "the new name", read.display_name)
        return f"displayName={read.display_name}"

    async def delete_package_then_catalog() -> str:
        await admin.access_package_assignment_policies.by_access_package_assignment_policy_id(state["policy"]).delete()
        await admin.access_packages.by_access_package_id(state["package"]).delete()
        await admin.access_package_catalogs.by_access_package_catalog_id(state["catalog"]).delete()
        outcome = await refused(admin.access_package_catalogs.by_access_package_catalog_id(state["catalog"]).get, 404)
        return f"read after delete {outcome}"

    await run.step("create-catalog", create_catalog)
    await run.step("create-package", create_package)
    await run.step("create-policy", create_policy)
    await run.step("rename-package", rename_package)
    await run.step("delete-package-then-catalog", delete_package_then_catalog)


async def main() -> int:
    return await run_scenarios(Config.from_env, (("v1.0", run_v1), ("beta", run_beta)))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
