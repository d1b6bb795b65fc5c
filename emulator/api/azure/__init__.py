"""The Azure OpenAI data-plane dialect: `/openai/...` served by the same core as `/v1/...`."""
