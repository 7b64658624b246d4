import { useEffect, useState } from "react";
import type { Session } from "./session";
import { Page } from "./types";

/** Usernames of the given user ids, in one GET /api/users?ids=… (an id stays shown until then). */
export function useUsernames(session: Session, ids: number[]): Record<number, string> {
  const [names, setNames] = useState<Record<number, string>>({});
  const wanted = [...new Set(ids)].sort((a, b) => a - b).slice(0, 100).join(",");
  useEffect(() => {
    if (!wanted) return;
    let mounted = true;
    session.call<Page<{ id: number; username: string }>>(`/api/users?ids=${wanted}&per_page=100`).then(
      (page) => mounted && setNames(Object.fromEntries(page.items.map((user) => [user.id, user.username]))),
      () => undefined, // a nicety: without names the ids still say who
    );
    return () => { mounted = false; };
  }, [session, wanted]);
  return names;
}

/** "ann (#12)", or "#12" while the name is unknown. */
export function who(names: Record<number, string>, userId: number | undefined): string {
  if (userId === undefined) return "";
  return names[userId] ? `${names[userId]} (#${userId})` : `#${userId}`;
}
