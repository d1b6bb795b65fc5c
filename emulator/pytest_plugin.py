"""pytest plugin: fixtures that give each test a clean emulator and ready OpenAI clients."""
