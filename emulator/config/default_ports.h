// The ports statefun uses when nothing says otherwise: the StateFun
// playground's ingress and egress (what its module.yaml files and our
// templates write), and the admin API beside them. The one place these
// numbers live in C++; docs/ repeat them for readers.
#pragma once

namespace statefun::emulator {

inline constexpr int kDefaultIngressPort = 8090;  // playground ingress: PUT /<ns>/<type>/<id>
inline constexpr int kDefaultEgressPort = 8091;   // playground egress: GET /<topic>
inline constexpr int kDefaultAdminPort = 8092;    // admin API, on 127.0.0.1 only

}  // namespace statefun::emulator
