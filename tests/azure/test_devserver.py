"""`emulator serve` shows how to reach it as Azure OpenAI, and the snippet works as printed."""

from __future__ import annotations

import re

import openai

from tests.serve_process import ServeProcess


def test_the_banners_azure_snippet_works() -> None:
    with ServeProcess("--port", "0", "--api-key", "sk-azure-banner") as server:
        snippet = r'AzureOpenAI\(azure_endpoint="([^"]+)", api_key="([^"]+)", api_version="([^"]+)"\)'
        match = re.search(snippet, server.banner)
        assert match, server.banner
        endpoint, key, version = match.groups()
        assert endpoint == server.url and key == "sk-azure-banner"
        with openai.AzureOpenAI(azure_endpoint=endpoint, api_key=key, api_version=version) as client:
            assert client.fine_tuning.jobs.list().data == []
