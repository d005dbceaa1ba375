"""One module per official client DfnsSDK covers whole beyond the hand-written five: `run(context)` calls every method of
the client through the unchanged official SDK (python_sdk_coverage.Coverage says what the context holds)."""
