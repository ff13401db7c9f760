{
  "targets": [
    {
      "target_name": "mpmetrics",
      "sources": ["mpmetrics.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"],
      "ldflags": ["-Wl,-z,nodelete"],
      "conditions": [
        ["OS=='mac'", { "xcode_settings": { "CLANG_CXX_LANGUAGE_STANDARD": "c++17" } }]
      ]
    }
  ]
}
