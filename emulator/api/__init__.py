"""The HTTP edge: Starlette routes that parse requests, call the domain and render OpenAI's shapes."""
