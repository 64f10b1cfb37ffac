// The `ocrflow` command line: parses arguments and dispatches to the engine's commands.
console.log("ocrflow: not yet");
