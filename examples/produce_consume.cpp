// Produce ten keyed records to a topic and read them back with the typed client.
//
//   sluice-example-produce-consume [HOST:PORT]      (default 127.0.0.1:9292)

#include "client/admin.hpp"
#include "client/consumer.hpp"
#include "client/producer.hpp"

#include <iostream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

int main(int argc, char** argv) {
  auto conn = sluice::client::connection::open(argc > 1 ? argv[1] : "127.0.0.1:9292");
  if (!conn) {
    std::cerr << conn.err().to_string() << '\n';
    return 1;
  }

  sluice::admin admin{*conn};
  auto created = admin.create_topic({"example", 3, 1, {}});
  if (!created && created.err().server != sluice::schema::errc::topic_already_exists) {
    std::cerr << created.err().to_string() << '\n';
    return 1;
  }

  // Each send returns a future with the record's partition and offset once it is acked.
  sluice::producer producer{*conn};
  std::vector<std::future<sluice::client::delivery_report>> acks;
  for (int i = 0; i < 10; ++i) {
    auto key = "user-" + std::to_string(i % 3); // the same key always lands on the same partition
    auto value = "event " + std::to_string(i);
    acks.push_back(producer.send(sluice::producer_record{.topic = "example", .key = key, .value = value}));
  }
  producer.flush();
  for (auto& a : acks) {
    auto r = a.get();
    if (!r.ok()) {
      std::cerr << "not delivered: " << r.error.to_string() << '\n';
      return 1;
    }
    std::cout << "acked partition " << r.partition << " offset " << r.off << '\n';
  }

  // Read every partition from the beginning; records are views into the fetched batches.
  sluice::consumer consumer{*conn};
  auto partitions = consumer.partitions_for("example");
  if (!partitions) {
    std::cerr << partitions.err().to_string() << '\n';
    return 1;
  }
  consumer.assign(*partitions);
  (void) consumer.seek_to_beginning();
  size_t seen = 0;
  for (int polls = 0; polls < 50 && seen < 10; ++polls) {
    auto records = consumer.poll(100ms);
    if (!records) {
      std::cerr << records.err().to_string() << '\n';
      return 1;
    }
    records->for_each([&](const sluice::topic_partition& tp, const sluice::store::record_view& r) {
      std::cout << tp.to_string() << "@" << r.off << " " << r.key.value_or("null") << " = "
                << r.value.value_or("null") << '\n';
      ++seen;
    });
  }
  return seen >= 10 ? 0 : 1;
}
