#pragma once

// /metrics: a node snapshot as Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Every family has one
// `# HELP` and one `# TYPE` line followed by all of its samples; names start with `sluice_`;
// every sample carries `node`; histograms have cumulative `le` buckets ending in "+Inf",
// then `_sum` and `_count`. A pure function: the HTTP thread renders what it asked for.

#include "tools/sluiced/node_snapshot.hpp"

#include <string>
#include <string_view>

namespace sluice::tools {

// Content-Type of the text format.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

std::string render_metrics(const node_snapshot& s);

// A label value as the format wants it: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view v);

} // namespace sluice::tools
