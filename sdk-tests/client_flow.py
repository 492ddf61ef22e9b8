"""A whole client flow against an entitle server serving `sdk-tests/tenant.json`, with the Microsoft
Graph Python SDKs, as a client under test would run it against Microsoft Graph:

1. a client application lists the access packages (filtered, with their policies expanded) and
   reads the policy a user may request under;
2. the user requests the package; the stage's approver, a member of the policy's approver group,
   approves it while a user outside the group may not; the request is delivered;
3. an administrator finds the assignment, removes it (`adminRemove`), and the assignment is gone;
4. the user requests a package whose policy has the requestor's manager approve; the manager sees
   the stage assigned to them; the user cancels; the manager's approval is then refused.

Configuration comes from the environment:

    ENTITLE_BASE             server root, e.g. http://127.0.0.1:8080
    ENTITLE_CLIENT_TOKEN     an application's token with EntitlementManagement.Read.All,
                             GroupMember.Read.All and User.Read.All
    ENTITLE_REQUESTOR_TOKEN  the requestor's token (EntitlementMgmt-SubjectAccess.ReadWrite)
    ENTITLE_REQUESTOR_ID     the requestor's object id
    ENTITLE_MEMBER_TOKEN     a member of the approver group (EntitlementManagement.ReadWrite.All)
    ENTITLE_OUTSIDER_TOKEN   a user outside it (EntitlementManagement.ReadWrite.All)
    ENTITLE_MANAGER_TOKEN    the requestor's manager (EntitlementManagement.ReadWrite.All)
    ENTITLE_ADMIN_TOKEN      an access package assignment manager (EntitlementManagement.ReadWrite.All)

The same flow runs with the v1.0 SDK (`msgraph-sdk`) and the beta SDK (`msgraph-beta-sdk`, beta's
shapes and names). It prints one line per step and exits 0 only if every step passed (1 on a failed step, 2 on
bad configuration).
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from kiota_abstractions.base_request_configuration import RequestConfiguration

import msgraph
from msgraph.generated.identity_governance.entitlement_management.access_packages.access_packages_request_builder import (
    AccessPackagesRequestBuilder,
)
from msgraph.generated.identity_governance.entitlement_management.assignments.assignments_request_builder import (
    AssignmentsRequestBuilder,
)
from msgraph.generated.models.access_package_assignment import AccessPackageAssignment
from msgraph.generated.models.access_package_assignment_request import (
    AccessPackageAssignmentRequest,
)
from msgraph.generated.models.access_package_request_type import AccessPackageRequestType
from msgraph.generated.models.approval_stage import ApprovalStage
from msgraph.generated.models.group_members import GroupMembers
from msgraph.generated.models.requestor_manager import RequestorManager
from msgraph.generated.models.user import User

import msgraph_beta
from msgraph_beta.generated.identity_governance.entitlement_management.access_package_assignments.access_package_assignments_request_builder import (
    AccessPackageAssignmentsRequestBuilder as BetaAssignmentsRequestBuilder,
)
from msgraph_beta.generated.identity_governance.entitlement_management.access_packages.access_packages_request_builder import (
    AccessPackagesRequestBuilder as BetaAccessPackagesRequestBuilder,
)
from msgraph_beta.generated.models.access_package_assignment import (
    AccessPackageAssignment as BetaAccessPackageAssignment,
)
from msgraph_beta.generated.models.access_package_assignment_request import (
    AccessPackageAssignmentRequest as BetaAccessPackageAssignmentRequest,
)
from msgraph_beta.generated.models.approval_step import ApprovalStep as BetaApprovalStep
from msgraph_beta.generated.models.group_members import GroupMembers as BetaGroupMembers
from msgraph_beta.generated.models.user import User as BetaUser
from msgraph_beta.generated.models.requestor_manager import RequestorManager as BetaRequestorManager

from graph_client import Run, deliver, expect, graph_service_client, read_env, refused, run_scenarios

LAB = "lab"
FINANCE = "finance"


@dataclass(frozen=True)
class Config:
    base: str
    client_token: str
    requestor_token: str
    requestor_id: str
    member_token: str
    outsider_token: str
    manager_token: str
    admin_token: str

    @staticmethod
    def from_env() -> Config:
        fields = {
            "base": "ENTITLE_BASE",
            "client_token": "ENTITLE_CLIENT_TOKEN",
            "requestor_token": "ENTITLE_REQUESTOR_TOKEN",
            "requestor_id": "ENTITLE_REQUESTOR_ID",
            "member_token": "ENTITLE_MEMBER_TOKEN",
            "outsider_token": "ENTITLE_OUTSIDER_TOKEN",
            "manager_token": "ENTITLE_MANAGER_TOKEN",
            "admin_token": "ENTITLE_ADMIN_TOKEN",
        }
        return Config(**read_env(fields))


def management(config: Config, token: str, sdk=msgraph, version: str = "v1.0"):
    client = graph_service_client(sdk, f"{config.base}/{version}", token)
    return client.identity_governance.entitlement_management


def beta_management(config: Config, token: str):
    return management(config, token, msgraph_beta, "beta")


async def group_members(config: Config, group_id: str, sdk=msgraph, version: str = "v1.0") -> str:
    """The display names of a group's members, read as the client application (users only)."""
    client = graph_service_client(sdk, f"{config.base}/{version}", config.client_token)
    page = await client.groups.by_group_id(group_id).members.get()
    members = page.value if page and page.value else []
    user = User if sdk is msgraph else BetaUser
    expect(
        bool(members) and all(isinstance(member, user) and member.display_name for member in members),
        "the group's members, users with their names",
        members,
    )
    return ",".join(member.display_name for member in members)


async def run_v1(config: Config) -> None:
    run = Run("v1.0")
    client = management(config, config.client_token)
    requestor = management(config, config.requestor_token)
    found: dict[str, tuple[str, str]] = {}
    state: dict[str, str] = {}

    async def list_packages() -> str:
        query = AccessPackagesRequestBuilder.AccessPackagesRequestBuilderGetQueryParameters(
            filter="contains(tolower(displayName),'lab') or contains(tolower(displayName),'finance')",
            expand=["assignmentPolicies"],
        )
        # `or` is not one of the documented forms: the answer is a Graph error, parsed.
        await refused(lambda: client.access_packages.get(RequestConfiguration(query_parameters=query)), 400)
        query = AccessPackagesRequestBuilder.AccessPackagesRequestBuilderGetQueryParameters(
            expand=["assignmentPolicies"],
        )
        page = await client.access_packages.get(RequestConfiguration(query_parameters=query))
        packages = page.value or []
        for package in packages:
            name = (package.display_name or "").lower()
            key = LAB if "lab" in name else FINANCE if "finance" in name else None
            policies = package.assignment_policies or []
            if key and policies:
                found[key] = (package.id, policies[0].id)
        expect(LAB in found and FINANCE in found, "the lab and finance packages with a policy each", found)
        return f"packages={len(packages)}"

    async def read_policy() -> str:
        package_id, policy_id = found[LAB]
        policy = await client.assignment_policies.by_access_package_assignment_policy_id(policy_id).get()
        stages = policy.request_approval_settings.stages if policy and policy.request_approval_settings else []
        expect(len(stages) == 1, "one approval stage", stages)
        approvers = stages[0].primary_approvers or []
        expect(
            len(approvers) == 1 and isinstance(approvers[0], GroupMembers),
            "the stage's approvers are a group's members",
            approvers,
        )
        finance = await client.assignment_policies.by_access_package_assignment_policy_id(found[FINANCE][1]).get()
        manager = finance.request_approval_settings.stages[0].primary_approvers[0]
        expect(isinstance(manager, RequestorManager), "the finance policy's approver is the requestor's manager", manager)
        members = await group_members(config, approvers[0].group_id)
        return f"policy={policy_id} group={approvers[0].group_id} members={members}"

    async def request(key: str) -> str:
        package_id, policy_id = found[key]
        created = await requestor.assignment_requests.post(
            AccessPackageAssignmentRequest(
                request_type=AccessPackageRequestType.UserAdd,
                assignment=AccessPackageAssignment(
                    additional_data={
                        "targetId": config.requestor_id,
                        "assignmentPolicyId": policy_id,
                        "accessPackageId": package_id,
                    }
                ),
            )
        )
        expect(created is not None and bool(created.id), "a created request", created)
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(created.id).get()
        expect(got.status == "PendingApproval", "PendingApproval", got.status)
        state[key] = created.id
        return f"id={created.id} status={got.status}"

    async def stage_of(token: str, key: str) -> ApprovalStage:
        stages = await management(config, token).access_package_assignment_approvals.by_approval_id(state[key]).stages.get()
        values = stages.value or []
        expect(len(values) == 1, "one stage", values)
        return values[0]

    async def approve_as_member() -> str:
        stage = await stage_of(config.member_token, LAB)
        expect(stage.assigned_to_me is True, "the stage assigned to the group's member", stage.assigned_to_me)
        outsider = management(config, config.outsider_token)
        approval = outsider.access_package_assignment_approvals.by_approval_id(state[LAB])
        outcome = await refused(
            lambda: approval.stages.by_approval_stage_id(stage.id).patch(
                ApprovalStage(review_result="Approve", justification="not mine to decide")
            ),
            403,
        )
        member = management(config, config.member_token)
        await member.access_package_assignment_approvals.by_approval_id(state[LAB]).stages.by_approval_stage_id(
            stage.id
        ).patch(ApprovalStage(review_result="Approve", justification="the lab has room"))
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state[LAB]).get()
        expect(got.status == "Delivering", "Delivering once approved", got.status)
        return f"outsider {outcome}; status={got.status}"

    async def delivered() -> str:
        deliver(config, state[LAB])
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state[LAB]).get()
        expect(got.status == "Delivered", "Delivered", got.status)
        return f"status={got.status}"

    admin = management(config, config.admin_token)

    async def delivered_assignments() -> list[str]:
        query = AssignmentsRequestBuilder.AssignmentsRequestBuilderGetQueryParameters(
            filter=f"target/objectId eq '{config.requestor_id}' and state eq 'delivered'"
        )
        page = await admin.assignments.get(RequestConfiguration(query_parameters=query))
        return [item.id for item in (page.value or [])] if page else []

    async def assignment_listed() -> str:
        ids = await delivered_assignments()
        expect(len(ids) == 1, "the requestor's one delivered assignment", ids)
        state["assignment"] = ids[0]
        return f"assignment={ids[0]}"

    async def admin_remove() -> str:
        removal = await admin.assignment_requests.post(
            AccessPackageAssignmentRequest(
                request_type=AccessPackageRequestType.AdminRemove,
                assignment=AccessPackageAssignment(id=state["assignment"]),
            )
        )
        expect(removal is not None and bool(removal.id), "a removal request", removal)
        deliver(config, removal.id)
        return f"removal={removal.id}"

    async def assignment_gone() -> str:
        ids = await delivered_assignments()
        expect(state["assignment"] not in ids, "no delivered assignment left", ids)
        ended = await admin.assignments.by_access_package_assignment_id(state["assignment"]).get()
        value = ended.state.value if ended and ended.state else None
        expect(value == "expired", "the removed assignment expired", value)
        return f"state={value}"

    async def manager_sees_the_stage() -> str:
        stage = await stage_of(config.manager_token, FINANCE)
        expect(stage.assigned_to_me is True, "the stage assigned to the requestor's manager", stage.assigned_to_me)
        state["finance-stage"] = stage.id
        return f"stage={stage.id}"

    async def cancel() -> str:
        await requestor.assignment_requests.by_access_package_assignment_request_id(state[FINANCE]).cancel.post()
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state[FINANCE]).get()
        expect(got.status == "Canceled", "Canceled", got.status)
        return f"status={got.status}"

    async def manager_too_late() -> str:
        manager = management(config, config.manager_token)
        stage = manager.access_package_assignment_approvals.by_approval_id(state[FINANCE]).stages.by_approval_stage_id(
            state["finance-stage"]
        )
        return await refused(
            lambda: stage.patch(ApprovalStage(review_result="Approve", justification="fine by me")), 409
        )

    await run.step("list-packages", list_packages)
    await run.step("read-policy", read_policy)
    await run.step("request", lambda: request(LAB))
    await run.step("approve-as-group-member", approve_as_member)
    await run.step("delivered", delivered)
    await run.step("assignment-listed", assignment_listed)
    await run.step("admin-remove", admin_remove)
    await run.step("assignment-gone", assignment_gone)
    await run.step("request-manager-approval", lambda: request(FINANCE))
    await run.step("manager-assigned", manager_sees_the_stage)
    await run.step("cancel", cancel)
    await run.step("manager-approval-refused", manager_too_late)


async def run_beta(config: Config) -> None:
    run = Run("beta")
    client = beta_management(config, config.client_token)
    requestor = beta_management(config, config.requestor_token)
    found: dict[str, tuple[str, str]] = {}
    state: dict[str, str] = {}

    async def list_packages() -> str:
        query = BetaAccessPackagesRequestBuilder.AccessPackagesRequestBuilderGetQueryParameters(
            expand=["accessPackageAssignmentPolicies"],
        )
        page = await client.access_packages.get(RequestConfiguration(query_parameters=query))
        packages = page.value or []
        for package in packages:
            name = (package.display_name or "").lower()
            key = LAB if "lab" in name else FINANCE if "finance" in name else None
            policies = package.access_package_assignment_policies or []
            if key and policies:
                expect(bool(package.catalog_id), "beta's catalogId", package.catalog_id)
                found[key] = (package.id, policies[0].id)
        expect(LAB in found and FINANCE in found, "the lab and finance packages with a policy each", found)
        return f"packages={len(packages)}"

    async def read_policy() -> str:
        policies = client.access_package_assignment_policies
        policy = await policies.by_access_package_assignment_policy_id(found[LAB][1]).get()
        stages = policy.request_approval_settings.approval_stages or []
        expect(len(stages) == 1, "one approval stage", stages)
        approvers = stages[0].primary_approvers or []
        expect(
            len(approvers) == 1 and isinstance(approvers[0], BetaGroupMembers),
            "the stage's approvers are a group's members",
            approvers,
        )
        finance = await policies.by_access_package_assignment_policy_id(found[FINANCE][1]).get()
        sets = finance.request_approval_settings.approval_stages[0].primary_approvers or []
        expect(
            isinstance(sets[0], BetaRequestorManager) and sets[1].is_backup is True,
            "the requestor's manager, then a fallback",
            sets,
        )
        members = await group_members(config, approvers[0].id, msgraph_beta, "beta")
        return f"policy={policy.id} group={approvers[0].id} members={members} accessPackageId={policy.access_package_id}"

    async def request(key: str) -> str:
        package_id, policy_id = found[key]
        created = await requestor.assignment_requests.post(
            BetaAccessPackageAssignmentRequest(
                request_type="UserAdd",
                access_package_assignment=BetaAccessPackageAssignment(
                    target_id=config.requestor_id,
                    assignment_policy_id=policy_id,
                    access_package_id=package_id,
                ),
            )
        )
        expect(created is not None and bool(created.id), "a created request", created)
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(created.id).get()
        expect(got.request_status == "PendingApproval", "PendingApproval", got.request_status)
        state[key] = created.id
        return f"id={created.id} status={got.request_status}"

    def steps(token: str, key: str):
        return beta_management(config, token).access_package_assignment_approvals.by_approval_id(state[key]).steps

    async def step_of(token: str, key: str) -> BetaApprovalStep:
        page = await steps(token, key).get()
        values = page.value or []
        expect(len(values) == 1, "one step", values)
        return values[0]

    async def approve_as_member() -> str:
        step = await step_of(config.member_token, LAB)
        expect(step.assigned_to_me is True, "the step assigned to the group's member", step.assigned_to_me)
        outcome = await refused(
            lambda: steps(config.outsider_token, LAB).by_approval_step_id(step.id).patch(
                BetaApprovalStep(review_result="Approve", justification="not mine to decide")
            ),
            403,
        )
        await steps(config.member_token, LAB).by_approval_step_id(step.id).patch(
            BetaApprovalStep(review_result="Approve", justification="the lab has room")
        )
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state[LAB]).get()
        expect(got.request_status == "Delivering", "Delivering once approved", got.request_status)
        return f"outsider {outcome}; status={got.request_status}"

    async def delivered() -> str:
        deliver(config, state[LAB])
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state[LAB]).get()
        expect(got.request_status == "Delivered", "Delivered", got.request_status)
        return f"status={got.request_status}"

    admin = beta_management(config, config.admin_token)

    async def delivered_assignments() -> list[str]:
        query = BetaAssignmentsRequestBuilder.AccessPackageAssignmentsRequestBuilderGetQueryParameters(
            filter=f"targetId eq '{config.requestor_id}' and assignmentState eq 'Delivered'"
        )
        page = await admin.access_package_assignments.get(RequestConfiguration(query_parameters=query))
        return [item.id for item in (page.value or [])] if page else []

    async def assignment_listed() -> str:
        ids = await delivered_assignments()
        expect(len(ids) == 1, "the requestor's one delivered assignment", ids)
        state["assignment"] = ids[0]
        return f"assignment={ids[0]}"

    async def admin_remove() -> str:
        removal = await admin.assignment_requests.post(
            BetaAccessPackageAssignmentRequest(
                request_type="AdminRemove",
                access_package_assignment=BetaAccessPackageAssignment(id=state["assignment"]),
            )
        )
        expect(removal is not None and bool(removal.id), "a removal request", removal)
        deliver(config, removal.id)
        return f"removal={removal.id}"

    async def assignment_gone() -> str:
        ids = await delivered_assignments()
        expect(state["assignment"] not in ids, "no delivered assignment left", ids)
        ended = await admin.access_package_assignments.by_access_package_assignment_id(state["assignment"]).get()
        expect(ended.assignment_state == "Expired", "the removed assignment expired", ended.assignment_state)
        return f"assignmentState={ended.assignment_state}"

    async def manager_sees_the_step() -> str:
        step = await step_of(config.manager_token, FINANCE)
        expect(step.assigned_to_me is True, "the step assigned to the requestor's manager", step.assigned_to_me)
        state["finance-step"] = step.id
        return f"step={step.id}"

    async def cancel() -> str:
        await requestor.assignment_requests.by_access_package_assignment_request_id(state[FINANCE]).cancel.post()
        got = await requestor.assignment_requests.by_access_package_assignment_request_id(state[FINANCE]).get()
        expect(got.request_status == "Canceled", "Canceled", got.request_status)
        return f"status={got.request_status}"

    async def manager_too_late() -> str:
        step = steps(config.manager_token, FINANCE).by_approval_step_id(state["finance-step"])
        return await refused(
            lambda: step.patch(BetaApprovalStep(review_result="Approve", justification="fine by me")), 409
        )

    await run.step("list-packages", list_packages)
    await run.step("read-policy", read_policy)
    await run.step("request", lambda: request(LAB))
    await run.step("approve-as-group-member", approve_as_member)
    await run.step("delivered", delivered)
    await run.step("assignment-listed", assignment_listed)
    await run.step("admin-remove", admin_remove)
    await run.step("assignment-gone", assignment_gone)
    await run.step("request-manager-approval", lambda: request(FINANCE))
    await run.step("manager-assigned", manager_sees_the_step)
    await run.step("cancel", cancel)
    await run.step("manager-approval-refused", manager_too_late)


async def main() -> int:
    return await run_scenarios(Config.from_env, (("v1.0", run_v1), ("beta", run_beta)))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
