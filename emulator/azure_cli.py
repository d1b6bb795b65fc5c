"""`emulator azure …`: manage a running emulator's Azure deployments and account bindings from the shell.

    emulator azure deploy MODEL --name NAME --api-key KEY [--sku standard] [--version V] [--capacity N]
                          [--provision]
    emulator azure deployments --api-key KEY
    emulator azure undeploy NAME --api-key KEY
    emulator azure bind ACCOUNT --api-key KEY

They call the control API (`/_emulator/azure/…`) of the server at `--url`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["add_azure_command", "run_azure"]

DEFAULT_URL = "http://127.0.0.1:8000"


def add_azure_command(commands: Any) -> None:
    azure = commands.add_parser(
        "azure",
        help="deploy models and bind account names for the Azure OpenAI dialect of a running server",
        description="Manage the Azure deployments of a running emulator (its control API). A deployment "
        "belongs to the Azure resource of --api-key; the same key reaches it from AzureOpenAI clients.",
    )
    actions = azure.add_subparsers(dest="action", required=True, metavar="action")

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--url", default=DEFAULT_URL, help=f"the running emulator (default {DEFAULT_URL})"
        )
        parser.add_argument("--json", action="store_true", help="print the control API's answer as JSON")

    deploy = actions.add_parser(
        "deploy",
        help="deploy a model (base or fine-tuned) under a name",
        description="Create or update a deployment; it is ready at once unless "
        "--provision makes it go through Creating on the clock, as ARM's would.",
    )
    deploy.add_argument("model", metavar="MODEL", help="a base model (gpt-4o-mini) or a fine-tuned model id")
    deploy.add_argument("--name", required=True, help="the deployment name clients put in their URLs")
    deploy.add_argument("--api-key", required=True, help="the Azure resource's key")
    deploy.add_argument("--sku", default="standard", choices=["standard", "globalstandard", "developertier"])
    deploy.add_argument("--version", help="model version (default: the model's; '1' for fine-tuned models)")
    deploy.add_argument("--capacity", type=int, default=1)
    deploy.add_argument("--provision", action="store_true", help="start in Creating, like an ARM deployment")
    common(deploy)
    listing = actions.add_parser("deployments", help="list a resource's deployments")
    listing.add_argument("--api-key", required=True, help="the Azure resource's key")
    common(listing)
    undeploy = actions.add_parser("undeploy", help="delete a deployment (the model stays)")
    undeploy.add_argument("name", metavar="NAME")
    undeploy.add_argument("--api-key", required=True, help="the Azure resource's key")
    common(undeploy)
    bind = actions.add_parser("bind", help="bind an ARM account name to a key (for Entra-token ARM calls)")
    bind.add_argument("account", metavar="ACCOUNT")
    bind.add_argument("--api-key", required=True, help="the Azure resource's key")
    common(bind)


def _call(args: argparse.Namespace) -> tuple[int, dict[str, Any]]:
    import httpx

    with httpx.Client(base_url=args.url, timeout=30) as client:
        if args.action == "deploy":
            body: dict[str, Any] = {
                "api_key": args.api_key,
                "name": args.name,
                "model": args.model,
                "sku": args.sku,
                "capacity": args.capacity,
                "ready": not args.provision,
            }
            if args.version:
                body["version"] = args.version
            response = client.post("/_emulator/azure/deployments", json=body)
        elif args.action == "deployments":
            response = client.get("/_emulator/azure/deployments", params={"api_key": args.api_key})
        elif args.action == "undeploy":
            response = client.delete(
                f"/_emulator/azure/deployments/{args.name}", params={"api_key": args.api_key}
            )
        else:
            response = client.post(
                "/_emulator/azure/accounts", json={"name": args.account, "api_key": args.api_key}
            )
    return response.status_code, response.json()


def _describe(deployment: dict[str, Any]) -> str:
    return (
        f"{deployment['name']}  {deployment['model']}  {deployment['sku']}  "
        f"{deployment['provisioning_state']}"
    )


def run_azure(args: argparse.Namespace) -> int:
    import httpx

    try:
        status, body = _call(args)
    except (OSError, ValueError, httpx.HTTPError) as exc:
        print(f"emulator azure: {exc}", file=sys.stderr)
        return 1
    if status >= 400:
        print(f"emulator azure: {body.get('error', {}).get('message', body)}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(body, indent=2))
    elif args.action == "deploy":
        print(("created " if status == 201 else "updated ") + _describe(body))
    elif args.action == "deployments":
        for deployment in body["data"]:
            print(_describe(deployment))
        print(f"{len(body['data'])} deployment(s)")
    elif args.action == "undeploy":
        print(f"deleted {body['name']}")
    else:
        print(f"bound {body['name']} to {body['api_key']} ({body['organization']})")
    return 0
