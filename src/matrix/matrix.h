/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* matrix-glib: everything an application includes. */
#include "matrix-client.h"
#include "matrix-discovery.h"
#include "matrix-error.h"
#include "matrix-event.h"
#include "matrix-html.h"
#include "matrix-markdown.h"
#include "matrix-memory-store.h"
#include "matrix-reaction.h"
#include "matrix-room.h"
#include "matrix-room-state-tracker.h"
#include "matrix-secret.h"
#include "matrix-sqlite-store.h"
#include "matrix-store.h"
#include "matrix-text.h"
#include "matrix-thread.h"
#include "matrix-timeline.h"
#include "matrix-timeline-item.h"
#include "matrix-version.h"
