#include "client/produce_plan.hpp"

#include <map>
#include <unordered_map>
#include <utility>

namespace sluice::client {

std::vector<planned_request> plan_requests(std::span<const plan_batch> queue,
                                           const std::function<size_t(link_id)>& free_slots,
                                           size_t max_request_bytes) {
  struct link_state {
    std::vector<size_t> requests; // indices into `out`, in sending order
    size_t slots = 0;
  };
  struct partition_state {
    bool blocked = false;         // a batch of it stays: so do its later ones
    std::optional<link_id> link;  // where its earlier batches went
    size_t next_request = 0;      // its next batch goes in this request of the link or a later one
  };
  std::vector<planned_request> out;
  std::unordered_map<link_id, link_state> links;
  std::map<std::pair<std::string_view, int32_t>, partition_state> partitions;
  for (size_t i = 0; i < queue.size(); ++i) {
    auto& b = queue[i];
    auto& ps = partitions[{b.topic, b.partition.value}];
    if (ps.blocked)
      continue;
    if (!b.link || (ps.link && *ps.link != *b.link)) {
      ps.blocked = true;
      continue;
    }
    auto [it, fresh] = links.try_emplace(*b.link);
    auto& ls = it->second;
    if (fresh)
      ls.slots = free_slots(*b.link);
    std::optional<size_t> chosen;
    for (size_t k = ps.next_request; k < ls.requests.size() && !chosen; ++k)
      if (out[ls.requests[k]].bytes + b.bytes <= max_request_bytes)
        chosen = k;
    if (!chosen && ls.requests.size() < ls.slots) {
      ls.requests.push_back(out.size());
      out.push_back({*b.link, {}, 0});
      chosen = ls.requests.size() - 1;
    }
    if (!chosen) {
      ps.blocked = true;
      continue;
    }
    auto& r = out[ls.requests[*chosen]];
    r.batches.push_back(i);
    r.bytes += b.bytes;
    ps.link = b.link;
    ps.next_request = *chosen + 1;
  }
  return out;
}

} // namespace sluice::client
