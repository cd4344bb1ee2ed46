// The benchmark's counter on Restate: a virtual object keyed like our
// entities, adding one to its `count` state per call.
import * as restate from "@restatedev/restate-sdk";

const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx) => {
      const count = ((await ctx.get("count")) ?? 0) + 1;
      ctx.set("count", count);
      return count;
    },
  },
});

restate.endpoint().bind(counter).listen(Number(process.env.PORT || 9080));
