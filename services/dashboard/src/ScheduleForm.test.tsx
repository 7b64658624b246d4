import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError } from "./api";
import { ScheduleForm, ScheduleSpec } from "./ScheduleForm";

function setup(failure?: Error) {
  const create = vi.fn<(spec: ScheduleSpec) => Promise<unknown>>();
  if (failure) create.mockRejectedValue(failure);
  else create.mockResolvedValue({});
  render(<ScheduleForm create={create} />);
  return { create, user: userEvent.setup() };
}

describe("ScheduleForm", () => {
  it("creates a cron schedule with its time zone", async () => {
    const { create, user } = setup();
    await user.type(screen.getByLabelText("Schedule name"), "nightly");
    const cron = screen.getByLabelText("Cron (5 fields, or 6 with seconds first)");
    await user.clear(cron);
    await user.type(cron, "30 2 * * *");
    await user.selectOptions(screen.getByLabelText("Time zone"), "UTC");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));
    expect(create).toHaveBeenCalledWith({
      name: "nightly", type: "timed", payload: { duration_seconds: 1 }, cron: "30 2 * * *", timezone: "UTC",
    });
  });

  it("creates an interval schedule without a cron", async () => {
    const { create, user } = setup();
    await user.type(screen.getByLabelText("Schedule name"), "often");
    await user.click(screen.getByLabelText("Fixed interval"));
    const every = screen.getByLabelText("Every (seconds)");
    await user.clear(every);
    await user.type(every, "5");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));
    expect(create.mock.calls[0][0]).toEqual({ name: "often", type: "timed", payload: { duration_seconds: 1 }, interval_seconds: 5 });
  });

  it("starts the payload from the chosen type's example", async () => {
    const { user } = setup();
    await user.selectOptions(screen.getByLabelText("Schedule job type"), "export");
    expect(JSON.parse((screen.getByLabelText("Payload (JSON)") as HTMLTextAreaElement).value)).toMatchObject({ dataset: "jobs" });
  });

  it("refuses a payload that is not JSON without calling the API", async () => {
    const { create, user } = setup();
    await user.type(screen.getByLabelText("Schedule name"), "broken");
    await user.clear(screen.getByLabelText("Payload (JSON)"));
    await user.type(screen.getByLabelText("Payload (JSON)"), "not json");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));
    expect(screen.getByRole("alert")).toHaveTextContent("not valid JSON");
    expect(create).not.toHaveBeenCalled();
  });

  it("shows the field the API names in a 422", async () => {
    const problem = { status: 422, title: "Unprocessable Entity", errors: { json: { cron: ["bad cron"] } } };
    const { user } = setup(new ApiError(422, problem));
    await user.type(screen.getByLabelText("Schedule name"), "x");
    await user.click(screen.getByRole("button", { name: "Create schedule" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("json.cron: bad cron");
  });
});
