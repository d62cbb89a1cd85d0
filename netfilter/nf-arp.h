#pragma once

/* An ARP packet for IPv4 over Ethernet, as sent and read by nf-announce.c and nf-probe.c. */

#include <net/ethernet.h>
#include <net/if_arp.h>
#include <stdint.h>

struct nf_arp_frame {
        struct ether_header eth;
        struct arphdr arp;
        uint8_t sha[6];
        uint8_t spa[4];
        uint8_t tha[6];
        uint8_t tpa[4];
} __attribute__((packed));
