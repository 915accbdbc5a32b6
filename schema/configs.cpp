#include "schema/configs.hpp"

#include "schema/configs.capnp.h"
#include "schema/framing.hpp"

namespace sluice::schema {

using namespace framing;

envelope encode(const describe_configs_request& x) {
  size_t expected = 64;
  for (auto& t : x.topics)
    expected += 16 + t.size();
  return write<wire::DescribeConfigsRequest>(
    x.kind, expected, [&](wire::DescribeConfigsRequest::Builder b) {
      set_strings(b.initTopics(list_size(x.topics.size())), x.topics);
    });
}

envelope encode(const describe_configs_response& x) {
  size_t expected = 64;
  for (auto& t : x.topics) {
    expected += 64 + t.name.size() + t.error.message.size();
    for (auto& e : t.configs)
      expected += 48 + e.key.size() + e.value.size();
  }
  return write<wire::DescribeConfigsResponse>(
    x.kind, expected, [&](wire::DescribeConfigsResponse::Builder b) {
      auto ts = b.initTopics(list_size(x.topics.size()));
      for (unsigned i = 0; i < ts.size(); ++i) {
        auto& in = x.topics[i];
        auto out = ts[i];
        out.setName(text(in.name));
        set_error(out, in.error);
        auto cs = out.initConfigs(list_size(in.configs.size()));
        for (unsigned j = 0; j < cs.size(); ++j) {
          cs[j].setKey(text(in.configs[j].key));
          cs[j].setValue(text(in.configs[j].value));
          cs[j].setIsDefault(in.configs[j].is_default);
        }
      }
    });
}

template <>
result<describe_configs_request> decode_bytes<describe_configs_request>(std::span<const char> bytes) {
  return read<wire::DescribeConfigsRequest, describe_configs_request>(
    bytes, [](wire::DescribeConfigsRequest::Reader r) -> result<describe_configs_request> {
      return describe_configs_request{strings(r.getTopics())};
    });
}

template <>
result<describe_configs_response>
decode_bytes<describe_configs_response>(std::span<const char> bytes) {
  return read<wire::DescribeConfigsResponse, describe_configs_response>(
    bytes, [](wire::DescribeConfigsResponse::Reader r) -> result<describe_configs_response> {
      describe_configs_response x;
      auto ts = r.getTopics();
      x.topics.reserve(ts.size());
      for (auto t : ts) {
        auto& out = x.topics.emplace_back();
        out.name = str(t.getName());
        out.error = get_error(t);
        auto cs = t.getConfigs();
        out.configs.reserve(cs.size());
        for (auto c : cs)
          out.configs.push_back({str(c.getKey()), str(c.getValue()), c.getIsDefault()});
      }
      return x;
    });
}

} // namespace sluice::schema
