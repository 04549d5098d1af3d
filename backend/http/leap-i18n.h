/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *leap_i18n_pick_language (const char *accept_language);
const char *leap_i18n_translate     (const char *language,
                                     const char *message);

G_END_DECLS
